"""Call tasks (外呼任务): the daily cycle queues the calls its strategy wants made, after the
compliance guard has checked them; agents take them from their queue in priority order and close
them with the call's outcome (the call itself is a contact attempt, checked again as it is made).
"""
