"""The triage of one message, end to end through the pure pipeline."""

from webcare.triage import pipeline, priority


def test_an_angry_public_english_complaint_goes_first() -> None:
    result = pipeline.triage(
        "@ParkeerCentraal this is ridiculous, the barrier is broken and nobody helps. Terrible!",
        "x",
        public=True,
        followers=12_000,
        waiting_minutes=18,
    )
    assert result.language == "en"
    assert result.intent == "complaint"
    assert result.needs_reply is True
    assert result.sentiment == "negative"
    assert result.sentiment_score < 0
    assert result.reasons[0] == "complaint"
    assert "12k followers" in result.reasons
    assert "public" in result.reasons
    assert result.reasons[-1] == "waiting 18 min"
    assert result.priority >= 60


def test_a_dutch_question_is_dutch_and_needs_a_reply() -> None:
    result = pipeline.triage("Hoe laat gaat de parkeergarage vanavond dicht?", "whatsapp")
    assert result.language == "nl"
    assert result.intent == "question"
    assert result.needs_reply is True


def test_a_thank_you_is_praise_and_needs_no_reply() -> None:
    result = pipeline.triage("Bedankt voor de snelle hulp vanochtend, echt top!", "x")
    assert result.language == "nl"
    assert result.sentiment == "positive"
    assert result.intent == "praise"
    assert result.needs_reply is False


def test_feedback_is_recognised() -> None:
    result = pipeline.triage("It would be nice if the app showed free spaces per floor", "x")
    assert result.intent == "feedback"
    assert result.needs_reply is True


def test_another_language_is_other() -> None:
    result = pipeline.triage("Bonjour, je voudrais savoir si le parking est ouvert ce soir", "x")
    assert result.language == "other"


def test_personal_data_in_public_raises_priority_only_in_public() -> None:
    text = "Mijn kenteken is 12-ABC-3, de slagboom gaat niet open"
    public = pipeline.triage(text, "x", public=True)
    private = pipeline.triage(text, "whatsapp", public=True)  # WhatsApp is never public
    assert [s.type for s in public.pii] == ["plate"]
    assert "personal data in public" in public.reasons
    assert "public" not in private.reasons
    assert public.priority > private.priority


def test_the_json_line_has_the_fields_the_issue_names() -> None:
    line = pipeline.triage("Mail me op an@example.nl", "email").as_json()
    assert set(line) >= {
        "language",
        "intent",
        "needs_reply",
        "sentiment",
        "sentiment_score",
        "pii",
        "priority",
    }
    assert line["pii"] == [{"type": "email", "start": 11, "end": 24}]


def test_a_text_without_letters_falls_back_to_the_given_language() -> None:
    assert pipeline.triage("👍", "x", fallback_language="nl").language == "nl"


def test_the_model_version_names_both_models() -> None:
    version = pipeline.model_version()
    assert version.startswith("triage-")
    assert "lang:" in version
    assert "text:" in version


def test_reasons_read_as_words() -> None:
    assert priority.followers_words(950) == "950 followers"
    assert priority.followers_words(1_200) == "1.2k followers"
    assert priority.followers_words(12_345) == "12k followers"
    assert priority.followers_words(2_000_000) == "2M followers"
    assert priority.waiting_words(18.7) == "waiting 18 min"
    assert priority.waiting_words(125) == "waiting 2 h 5 min"


def test_waiting_adds_to_priority_up_to_a_limit() -> None:
    assert priority.with_waiting(50, ["complaint"], None) == (50, ["complaint"])
    assert priority.with_waiting(50, [], 60) == (60, ["waiting 1 h"])
    assert priority.with_waiting(90, [], 6000)[0] == 100


def test_the_batch_path_gives_the_same_results_as_one_at_a_time() -> None:
    texts = [
        "@ParkeerCentraal de slagboom is kapot!! 12-ABC-3",
        "Where can I find my invoice? Order 12345678",
        "Bonjour, je voudrais savoir si le parking est ouvert ce soir",
        "",
        "👍",
        "Thanks, great help today",
    ]
    one_by_one = [pipeline.triage(t, "x").as_json() for t in texts]
    batch = [r.as_json() for r in pipeline.triage_many((t, "x") for t in texts)]
    assert batch == one_by_one
    assert pipeline.triage_many([]) == []
