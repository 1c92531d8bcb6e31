"""``grade batch`` and ``grade merge``: grade a whole class, on one machine or as shards of a cluster job.

One job per module:

- :mod:`~torchgrade.batch.submissions`: find the submissions (folders, zips) and copy each one's learner files into a pristine work folder
- :mod:`~torchgrade.batch.shards`: ``--shard K/N | auto | auto/N``, and which shard a submission belongs to
- :mod:`~torchgrade.batch.grading`: grade the copies in chunks (one ``session.grade`` each), skip results already stored, classify each submission
- :mod:`~torchgrade.batch.store`: OUT's layout, its manifest, the course version, each stored result
- :mod:`~torchgrade.batch.progress`: graded/total, ETA and failures, on a terminal or as lines
- :mod:`~torchgrade.batch.gradebook`: ``gradebook.csv`` and the item analysis, ``checks.csv``
- :mod:`~torchgrade.batch.roster`: ``--roster``: GitHub Classroom's roster, matched to submissions
- :mod:`~torchgrade.batch.summary`: ``summary.html``, the class at a glance
- :mod:`~torchgrade.batch.outputs`: every output of OUT, from its stored results
- :mod:`~torchgrade.batch.merge`: shard outputs combined into one
"""
