"""IVR (语音导航): menus as data (menu.py, menus/*.yaml), the engine that runs them with a caller
(engine.py over channel.py), the "no menu" switches (switches.py) and the voice prompts built
offline from text (prompt_texts.py, prompts/*.yaml, tts.py, prompts.py)."""
