"""The course itself, for maintainers (what ``make`` runs); no lesson imports this package.

- ``contents``: the notebooks in order, their Colab links and setup cell, the map 00 draws;
- ``build``: execute the notebooks (in place, or into ``build/`` with HTML copies);
- ``site``: the static site and the README's figures;
- ``exercises``: the learners' and the solutions' copies of the notebooks.
"""
