"""Training the text models (training.py) on a few hand-written messages, without the shared
data: the naive Bayes ratios, the NB-LR heads, and that the exported numpy model predicts
what scikit-learn learned."""

import numpy as np
from scipy import sparse

from webcare.triage import training
from webcare.triage.linear import TextModels
from webcare.triage.training import Example, TrainingSets


def test_log_count_ratios_favour_the_features_of_the_class() -> None:
    present = sparse.csr_matrix(
        np.array(
            [
                [1, 0, 1],
                [1, 0, 1],
                [0, 1, 1],
                [0, 1, 1],
            ],
            dtype=np.float64,
        )
    )
    ratios = training.log_count_ratios(present, np.array([True, True, False, False]), 1.0)
    assert ratios[0] > 0 > ratios[1]
    # A feature both sides share equally says nothing.
    assert abs(ratios[2]) < 1e-12
    # Smoothed: (2+1)/(4+3) against (0+1)/(4+3).
    assert np.isclose(ratios[0], np.log(3.0))


NEGATIVE = [
    "terrible service, my flight is delayed again",
    "awful, the app crashed and I lost my ticket",
    "worst airline ever, lost my bag",
    "my parking ticket does not work, horrible",
    "still waiting for a refund, this is a disgrace",
    "the machine ate my card, terrible",
]
NEUTRAL = [
    "what time does the garage open on sunday",
    "is there a charging point on level 2",
    "how do I change my booking",
    "where can I find the opening hours",
    "do you accept cash at the exit",
    "which entrance is closest to the station",
]
POSITIVE = [
    "thanks, great service and a friendly crew",
    "love the new app, works great",
    "brilliant, the staff were so helpful",
    "great flight, thank you so much",
    "wonderful, quick and friendly help",
    "thank you, lovely and helpful team",
]


def small_sets() -> TrainingSets:
    sentiment = (
        [Example(t, "negative", "hand") for t in NEGATIVE]
        + [Example(t, "neutral", "hand") for t in NEUTRAL]
        + [Example(t, "positive", "hand") for t in POSITIVE]
    )
    complaint = [Example(t, "yes", "hand") for t in NEGATIVE] + [
        Example(t, "no", "hand") for t in NEUTRAL + POSITIVE
    ]
    dutch = [
        Example("vreselijk slecht, de slagboom gaat niet open", "negative", "hand"),
        Example("slecht geregeld, wachten en nog eens wachten", "negative", "hand"),
        Example("hoe laat gaat de garage open", "neutral", "hand"),
        Example("waar is de ingang van de garage", "neutral", "hand"),
        Example("top, heel fijn geholpen, bedankt", "positive", "hand"),
        Example("super vriendelijk en snel geholpen", "positive", "hand"),
    ]
    return TrainingSets(
        complaint=complaint,
        complaint_weights=[1.0] * len(complaint),
        sentiment_en=sentiment,
        sentiment_nl=dutch,
    )


def test_nb_logistic_gives_one_column_for_a_binary_head_and_one_per_class_otherwise() -> None:
    features = sparse.csr_matrix(np.eye(4))
    columns, biases = training.nb_logistic(
        features, ["no", "no", "yes", "yes"], ("no", "yes"), 4.0, None
    )
    assert columns.shape == (4, 1) and biases.shape == (1,)
    columns, biases = training.nb_logistic(
        sparse.csr_matrix(np.eye(3)),
        ["negative", "neutral", "positive"],
        ("negative", "neutral", "positive"),
        4.0,
        None,
    )
    assert columns.shape == (3, 3) and biases.shape == (3,)
    # Each class's own feature weighs most in its own column.
    assert list(columns.argmax(axis=1)) == [0, 1, 2]


def test_trained_models_learn_the_hand_written_messages(tmp_path) -> None:
    models = training.train_text_models(small_sets(), {"trained_on": "a test"})
    path = tmp_path / "models.npz"
    models.save(path)
    loaded = TextModels.load(path)

    def best(head: str, text: str) -> str:
        probs = loaded.predict(text)[head]
        assert abs(sum(probs.values()) - 1.0) < 1e-9
        return max(probs, key=probs.__getitem__)

    assert best("sentiment_en", "terrible, my bag is lost again") == "negative"
    assert best("sentiment_en", "thank you, great and friendly help") == "positive"
    assert best("sentiment_en", "what time does the exit open") == "neutral"
    assert best("complaint", "awful, the machine lost my ticket") == "yes"
    assert best("complaint", "thanks, lovely crew") == "no"
    assert best("sentiment_nl", "vreselijk, de slagboom is weer kapot") == "negative"
    assert best("sentiment_nl", "bedankt, super fijn geholpen") == "positive"
    # The batch path scores exactly as the one-message path.
    texts = ["terrible, my bag is lost again", "bedankt, super fijn geholpen"]
    assert np.allclose(loaded.logits_many(texts), np.array([loaded.logits(t) for t in texts]))
