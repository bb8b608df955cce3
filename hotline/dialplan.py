"""Names of channel variables passed between the dialplan (``asterisk_conf/``) and Python.

One place for them, so a grep finds every reader and writer of a variable and
a test can check the dialplan uses only names defined here.  Values the
dialplan compares against are constants too.
"""

# --- set by the FastAGI server itself ----------------------------------------
# Set when Python could not do its job; the dialplan routes the citizen to its
# fallback (e.g. straight to the general queue) instead of dropping the call.
# When Python is not reachable at all, Asterisk sets AGISTATUS=FAILURE instead.
# Clear it (Set(HOTLINE_AGI_ERROR=)) before an AGI() whose result you test,
# if an earlier AGI() on the same channel might have set it.
AGI_ERROR = "HOTLINE_AGI_ERROR"
AGI_ERROR_UNKNOWN_SCRIPT = "unknown_script"   # no handler for the script name in the AGI URL
AGI_ERROR_INTERNAL = "internal"               # the handler raised (bug, database down...)
AGI_ERROR_MALFORMED = "malformed"             # the agi_* environment could not be parsed

# --- names the dialplan, app_queue and Python share ------------------------------
MAIN_NUMBER = "12345"       # the centre's own line
MAIN_QUEUE = "12345"        # where "a human" answers when nothing else is said (also the no-Python fallback)
ENGLISH_QUEUE = "english"   # the English desk
# Softphone feature codes *23<digit> (extensions_agents.conf) → pause reason (queue_logic.states.PAUSE_REASONS)
PAUSE_DIGITS = {"1": "break", "2": "training", "3": "meeting", "4": "wrapup"}

# --- routing (set by handlers, read by the dialplan) -------------------------
# The route: the dialplan jumps to context hotline-route-<ROUTE>; empty means
# Python failed and the dialplan falls back to the 12345 queue.
ROUTE = "HOTLINE_ROUTE"
QUEUE = "HOTLINE_QUEUE"                     # Asterisk queue name to wait in
QUEUE_OPTIONS = "HOTLINE_QUEUE_OPTIONS"     # Queue() options, e.g. "t"
QUEUE_TIMEOUT = "HOTLINE_QUEUE_TIMEOUT"     # the wait's limit: then overflow, or voicemail offered; empty = none
OVERFLOW_QUEUE = "HOTLINE_OVERFLOW_QUEUE"   # where a caller goes after QUEUE_TIMEOUT
LINE = "HOTLINE_LINE"                       # the configured line the citizen dialed
LINE_MAX_CALL = "HOTLINE_LINE_MAX_CALL"     # the line's longest call in seconds; empty = the centre's default
MAX_CALL = "HOTLINE_MAX_CALL"               # dialplan: the longest call in force (TIMEOUT(absolute))
END_REASON = "HOTLINE_END_REASON"           # dialplan, at hangup: max_duration, or empty
AGENT_ANSWERED = "HOTLINE_AGENT_ANSWERED"   # SHARED on the citizen's channel: epoch.ms an agent picked up
END_MAX_DURATION = "max_duration"

# --- set by the dialplan, read by Python ---------------------------------------
CALLER_UID = "HOTLINE_CALLER_UID"           # inherited onto the agent's channel: whose call it is
CALLER_CHANNEL = "HOTLINE_CALLER_CHANNEL"   # inherited: the citizen's channel, for SHARED() writes
TRANSFER_ANSWERED = "HOTLINE_TRANSFER_ANSWERED"  # SHARED on the citizen's channel: epoch.ms the transfer answered
QUEUE_START = "HOTLINE_QUEUE_START"         # inherited: epoch.ms when the caller joined the first queue
CURRENT_QUEUE = "HOTLINE_CURRENT_QUEUE"     # inherited: the queue that rang the agent
ARRIVED = "HOTLINE_ARRIVED"                 # epoch seconds of the call's arrival
DIALED = "HOTLINE_DIALED"                   # the dialed number, kept for the no-Python record
TRACE = "HOTLINE_TRACE"                     # carrier's correlation id (X-Hotline-Trace SIP header)
RECORDING = "HOTLINE_RECORDING"             # MixMonitor file of this call
FALLBACK = "HOTLINE_FALLBACK"               # "1" once the call took the no-Python path
PROMPTS = "HOTLINE_PROMPTS"                 # "&"-joined prompts the dialplan plays first (Playback)
MENU = "HOTLINE_MENU"                       # IVR menu to run next (AGI ivr), empty = none
LANGUAGE = "HOTLINE_LANGUAGE"               # CHANNEL(language) for prompts: zh | en
TRANSFER_TARGET = "HOTLINE_TRANSFER_TARGET" # dial string for route "transfer"
TRANSFER_KIND = "HOTLINE_TRANSFER_KIND"     # what an answered transfer means: transferred | emergency | self_served

# --- after the call and callbacks (extensions_after_call.conf, callbacks/dialer.py) ------
CALLBACK_ATTEMPT = "HOTLINE_CALLBACK_ATTEMPT"   # inherited: the dialer's attempt (= Originate ChannelId)
CALLBACK_AGENT = "HOTLINE_CALLBACK_AGENT"       # one-click: the endpoint of the agent who clicked, rung first

# --- virtual hold (回拨, extensions_callbacks.conf, callbacks/virtual_hold.py) -----------------
VHOLD_OFFER = "HOTLINE_VHOLD_OFFER"         # the expected wait is long: what to offer (set by AGI vhold_offer)
VHOLD_OFFER_BOTH = "1"                      #   keys 1 (call me back on this number) and 2 (on a number I key)
VHOLD_KEYED_ONLY = "2"                      #   key 2 only: the caller ID is withheld, nothing to call back on
VHOLD_OFFERED = "HOTLINE_VHOLD_OFFERED"     # dialplan: offered once per call (not again after an overflow)
VHOLD_CHOICE = "HOTLINE_VHOLD_CHOICE"       # dialplan: the key read on the offer
VHOLD_KEY = "1"                             # keep my place and call me back on this number
VHOLD_KEYED_KEY = "2"                       # keep my place and call me back on a number I key
VHOLD_KEYED = "HOTLINE_VHOLD_KEYED"         # dialplan: the digits keyed after 2 (Read, # ends)
VHOLD_CHECKED = "HOTLINE_VHOLD_CHECKED"     # the keyed digits when they are a phone number (set by AGI vhold_number)
VHOLD_NUMBER = "HOTLINE_VHOLD_NUMBER"       # dialplan: the number to call back, confirmed ("" = the caller waits)
VHOLD_ENTRY = "HOTLINE_VHOLD_ENTRY"         # dialplan: which number entry this is (1, then one retry)
VHOLD_CONFIRM = "HOTLINE_VHOLD_CONFIRM"     # dialplan: the key read after the number was read back (1 = right)
VHOLD_AGENT = "HOTLINE_VHOLD_AGENT"         # dialplan: the placeholder's agent (its ;2 half's MEMBERINTERFACE)
VHOLD_ID = "HOTLINE_VHOLD_ID"               # the callback request that holds the place (set by AGI vhold_request)
VHOLD_QUEUE_URL = "virtual_hold:"           # the placeholder's Queue() URL (in queue_log's ENTERQUEUE): not a call
VHOLD_TRY = "HOTLINE_VHOLD_TRY"             # dialplan: which dial of the citizen this is

# --- voicemail (留言, extensions_voicemail.conf, voicemail/) ------------------------------
VOICEMAIL = "HOTLINE_VOICEMAIL"             # the file Record() writes the citizen's message to
VOICEMAIL_AT = "HOTLINE_VOICEMAIL_AT"       # epoch.ms the voicemail route began: a queued caller's wait ends
VOICEMAIL_ROUTE = "voicemail"               # route: context hotline-route-voicemail
VOICEMAIL_KEY = "8"                         # the key that asks for it: main menu, and the offer after a long wait
VOICEMAIL_CHOICE = "HOTLINE_VOICEMAIL_CHOICE"  # dialplan: the key read on the offer after a long wait
WAIT_LIMIT = "HOTLINE_WAIT_LIMIT"           # dialplan: the Queue() timeout in force (the queue's, or no-agent's)

# --- agents' feature codes (extensions_agents.conf, handler agent_queues) -------
AGENT_QUEUES = "HOTLINE_AGENT_QUEUES"       # "12345:0&overflow:0": queues and penalties an agent joins
AGENT_MEMBER = "HOTLINE_AGENT_MEMBER"       # app_queue MemberName, "1001 张伟"
PAUSE_REASON = "HOTLINE_PAUSE_REASON"       # break | training | meeting | wrapup (dialplan only)
# --- supervisors (extensions_supervisor.conf; set by the AMI listener's Originate) --------
SPY_TARGET = "HOTLINE_SPY_TARGET"           # ChanSpy channel prefix, "PJSIP/agent1001-"
SURGE_PROMPT = "HOTLINE_SURGE_PROMPT"       # the announcement a supervisor previews

# The whole routing decision travels as ONE variable (one AGI round trip instead of
# eleven): comma-separated values in this order, unpacked by the dialplan with
# Set(ARRAY(<these names>)=${HOTLINE_DECISION}). A test keeps the two lists equal.
DECISION = "HOTLINE_DECISION"
DECISION_FIELDS = (ROUTE, QUEUE, QUEUE_OPTIONS, QUEUE_TIMEOUT, OVERFLOW_QUEUE, TRANSFER_TARGET, TRANSFER_KIND,
                   LANGUAGE, PROMPTS, MENU, LINE, LINE_MAX_CALL)


def sip_username_of(channel: str) -> str:
    """An agent's channel name → its PJSIP endpoint: ``PJSIP/agent1001-0000002a`` → ``agent1001``."""
    name = channel.split("/", 1)[-1]
    return name.rsplit("-", 1)[0] if "-" in name else name
