"""Intent: question, complaint, praise, feedback or other; and whether it needs a reply.

Complaints come from the trained complaint head (English) when it is there, else from words
(Dutch, and the lexicon fallback): only complaints have labelled data. Questions, praise and
feedback are rules: a question mark or a sentence that opens like a question, thanks and
compliments in a positive message, the phrases people use for a suggestion. They are
transparent, and on these intents a rule does what a model trained on no data cannot.

The order decides a message that is several things at once: a complaint that asks a question
is a complaint (it is the more urgent), feedback inside praise is feedback (it asks for
something). Complaints, questions and feedback need a reply; praise and the rest do not (a
thank-you is one of the reasons an agent may settle a message without a reply).
"""

import re

INTENTS = ("question", "complaint", "praise", "feedback", "other")
NEEDS_REPLY = frozenset({"question", "complaint", "feedback"})
COMPLAINT_THRESHOLD = 0.5
# A Dutch message this sure to be negative is taken for a complaint: messages to a brand
# that are clearly negative are, in the seeds' webcare, complaints.
DUTCH_NEGATIVE_AS_COMPLAINT = 0.6

_QUESTION_START = re.compile(
    r"(?:^|[.!?\n]\s*)(?:what|what's|how|why|when|where|who|which|can|could|would|will|is|are|"
    r"do|does|did|should|may|any|anyone|wat|hoe|waarom|wanneer|waar|wie|welke|kan|kun|kunt|"
    r"kunnen|mag|moet|is|zijn|heeft|hebben|hebt|wordt|zou|zouden|weet|klopt|krijg|gaat)\b",
    re.I,
)
_QUESTION_PHRASE = re.compile(
    r"\b(?:i(?:'d| would) like to know|i wonder|wondering|please (?:advise|help|let me know)|"
    r"can you help|help me|graag weten|ik vraag me af|vraagje|vraag:|kunnen jullie|kun je|"
    r"hoe zit het|wie kan|iemand een idee)\b",
    re.I,
)
_COMPLAINT_WORDS = re.compile(
    r"\b(?:klacht|klachten|schande|schandalig|belachelijk|waardeloos|bagger|oplichting|"
    r"oplichters|nog steeds niet|nog altijd niet|werkt niet|doet het niet|kapot|storing|"
    r"geen reactie|geen antwoord|niet ontvangen|niet geleverd|nooit ontvangen|te laat|"
    r"al (?:\w+ )?(?:dagen|weken|maanden|uur)|terugbetal\w*|geld terug|opzeggen|"
    r"complaint|worst|terrible|awful|horrible|ridiculous|unacceptable|disgusting|useless|"
    r"still (?:no|not|waiting)|never (?:arrived|received|got)|doesn't work|does not work|"
    r"not working|broken|refund|cancel(?:led|ed)? my|rip ?off|scam)\b",
    re.I,
)
_PRAISE_WORDS = re.compile(
    r"\b(?:thanks?|thank you|thx|ty|great|love|loved|awesome|amazing|excellent|best|"
    r"brilliant|perfect|kudos|props|shout ?out|appreciate|bedankt|dank(?:je|jewel|u)?|top|"
    r"toppie|super|geweldig|fantastisch|chapeau|compliment\w*|lekker|heerlijk|prima|"
    r"aanrader|goed geholpen|fijn)\b|[❤💙💯👍🙏😍🥰]",
    re.I,
)
_FEEDBACK_WORDS = re.compile(
    r"\b(?:suggestion|suggest|feature request|feedback|would be (?:nice|great|good|helpful)|"
    r"it'd be (?:nice|great)|please add|you should|why don't you|why not|could you add|"
    r"wish (?:you|there)|idea|tip:|suggestie|zou (?:fijn|handig|mooi|leuk|beter) zijn|"
    r"jullie zouden|waarom niet|idee|verbeterpunt|graag zou ik zien|kunnen jullie niet)\b",
    re.I,
)
_MENTIONS = re.compile(r"^(?:\s*[@.]\w+)+\s*")


def is_question(text: str) -> bool:
    body = _MENTIONS.sub("", text)
    return "?" in body or bool(_QUESTION_START.match(body)) or bool(_QUESTION_PHRASE.search(body))


def has_complaint_words(text: str) -> bool:
    return bool(_COMPLAINT_WORDS.search(text))


def classify(
    text: str,
    language: str,
    sentiment: str,
    sentiment_probabilities: dict[str, float],
    complaint_probability: float | None,
) -> str:
    """The intent; `complaint_probability` is the English head's, None where it has no say
    (Dutch text, or no trained model)."""
    if complaint_probability is not None:
        complaint = complaint_probability >= COMPLAINT_THRESHOLD
    else:
        negative = sentiment_probabilities.get("negative", 0.0)
        complaint = negative >= DUTCH_NEGATIVE_AS_COMPLAINT or (
            sentiment != "positive" and has_complaint_words(text)
        )
    if complaint:
        return "complaint"
    if is_question(text):
        return "question"
    if _FEEDBACK_WORDS.search(text):
        return "feedback"
    if sentiment == "positive" and (_PRAISE_WORDS.search(text) or language == "other"):
        return "praise"
    if sentiment == "positive" and sentiment_probabilities.get("positive", 0.0) >= 0.7:
        return "praise"
    return "other"
