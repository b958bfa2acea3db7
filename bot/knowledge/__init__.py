"""What the bot knows, from the article's content: foods, swaps, tips, breathing, free-text
parsing, intent, and the library of swap experiments (trials). Pure content and rules, no person.

May import: ``bot.base``, ``bot.store``. Independent of ``bot.chat``.
"""
