"""The diary itself: check-in questions, the one per-day diary view, scheduled and ``/checkin``
check-ins, free-text logs, the tip choice from the diary, and the experiment's adherence question.

May import: ``bot.safety`` and below.
"""
