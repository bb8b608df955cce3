"""Voicemail to ticket (留言): a citizen's recorded message becomes an intake ticket and a callback.

The dialplan records (asterisk_conf/pbx/extensions_voicemail.conf); at hang-up the call record
names the file, and ``voicemail.intake.take`` decides: a message too short or silent is dropped
(file removed, reason on the call record), anything else becomes an intake ticket (channel
voicemail) with the recording linked through its call, and goes on the callback list.
"""
