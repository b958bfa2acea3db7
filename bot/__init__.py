"""The platform-independent core of gutback: no Telegram, no HTTP server, no CLI.

Capability packages, highest layer first; a package imports only from the packages below it
(packages on one line are independent of each other). The rule is checked by import-linter
(``[tool.importlinter]`` in pyproject.toml) and by tests/unit/test_import_contracts.py:

    app                      the GutBack front door, the table of commands, the table of buttons
    delivery                 claims, the sweep, the one postman
    experiments | privacy    /experiment and its result | export, delete, retention
    insights                 links, verdict, recap, report, the weekly recap
    diary                    questions, the diary view, check-ins, free text, advice, adherence
    safety                   rules, matcher, screen, events
    people                   users, schedules, onboarding, settings, /recapday
    knowledge | chat         foods, swaps, tips, breathing, parsing, trials | messenger, outbox
    store                    models, the database
    base                     clock, config, logs, content loading, wording, small shared rules
"""
