"""The nightly portfolio run (日终跑批): the core's rules over every account, vectorised.

Data flow: ``service.close_through`` loads the accounts, pauses, policies and unposted receipts
from the database → ``pipeline.close_days`` splits the portfolio by product and closes each day
through the stages in ``stages.py`` (post payments → age → accrue → classify → settle), built
from the expressions in ``expressions.py`` → the service writes accounts, bucket history, posted
receipts and one ``nightly_runs`` row per day in one transaction. ``reference.py`` is the same
run as a plain loop over the scalar core: the definition the pipeline is tested against and the
baseline ``make bench`` compares with.
"""
