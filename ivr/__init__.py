"""Floor 3, domain: IVR (语音导航) — menus as data, the engine that runs them over a small channel
protocol, the "no menu" switches, the voice prompts built offline from text. Imports only ``hotline`` and ``db``.

menu.py + menus/*.yaml, engine.py over channel.py, switches.py, prompt_texts.py + prompts/*.yaml,
prompts.py (speech itself is ``hotline.tts``)."""
