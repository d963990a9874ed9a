"""`make eval` (triage part): every triage component on the shared data, against baselines
run in the same script, written to docs/triage.md (and var/eval/triage.json).

Splits: every set is cut into five folds by a hash of the text (training.is_held_out is fold
0), so duplicates and retweets always fall in one fold. "Held-out" is fold 0, with the models
trained on folds 1-4 of every set; "5-fold CV" trains five times, each time without one fold,
and gives the mean and spread over the five held-out folds. The baselines (majority class,
VADER, TF-IDF + logistic regression) are trained and scored on the same held-out split.

The language model never saw any of these sets (it is trained on XED, BANKING77 and the IBM
threads), so it is scored on all their rows. Personal data is scored on the hand-written
cases in tests/triage/pii_cases.json and on the e-mail addresses in the IBM threads.
Examples of failures are shortened and their @handles replaced; no e-mail address from the
data is ever printed.
"""

import hashlib
import json
import os
import platform
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pycld2
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_recall_fscore_support, recall_score
from sklearn.pipeline import make_pipeline
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from webcare.triage import intent as intents
from webcare.triage import language, pii, pipeline
from webcare.triage import training as tr
from webcare.triage.linear import TextModels

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "eval"
DOC = ROOT / "docs" / "triage.md"
FOLDS = 5


def fold(text: str) -> int:
    """The same hash as training.is_held_out: fold 0 is the held-out part."""
    return hashlib.sha256(text.strip().lower().encode("utf-8")).digest()[0] % FOLDS


def shorten(text: str, limit: int = 80) -> str:
    text = re.sub(r"@\w+", "@user", " ".join(text.split()))
    text = re.sub(r"https?://\S+", "<link>", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def macro(y: list[str], p: list[str]) -> tuple[float, float]:
    return (
        float(f1_score(y, p, average="macro", zero_division=0)),
        float(recall_score(y, p, average="macro", zero_division=0)),
    )


# --- our models ---------------------------------------------------------------------------


def sentiment_of(models: TextModels, text: str) -> str:
    """As the pipeline does it: the head of the detected language."""
    lang, _ = language.detect(text)
    probs = models.predict(text)["sentiment_nl" if lang == "nl" else "sentiment_en"]
    return max(probs, key=probs.__getitem__)


def complaint_of(models: TextModels, text: str) -> str:
    """As the pipeline does it: the complaint head, or the Dutch rule for Dutch text."""
    lang, _ = language.detect(text)
    predicted = models.predict(text)
    if lang == "nl":
        probs = predicted["sentiment_nl"]
        sentiment = max(probs, key=probs.__getitem__)
        complaint = probs["negative"] >= intents.DUTCH_NEGATIVE_AS_COMPLAINT or (
            sentiment != "positive" and intents.has_complaint_words(text)
        )
    else:
        complaint = predicted["complaint"]["yes"] >= intents.COMPLAINT_THRESHOLD
    return "yes" if complaint else "no"


# --- baselines ----------------------------------------------------------------------------

_vader = SentimentIntensityAnalyzer()


def vader_sentiment(text: str) -> str:
    compound = _vader.polarity_scores(text)["compound"]
    return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"


def vader_complaint(text: str) -> str:
    return "yes" if _vader.polarity_scores(text)["compound"] <= -0.05 else "no"


def tfidf_baseline() -> object:
    """The named baseline: word 1-2-gram TF-IDF and a class-balanced logistic regression."""
    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000),
    )


# --- the evaluation -----------------------------------------------------------------------

TASKS: list[tuple[str, str, Callable[[Path], list[tr.Example]], str]] = [
    # name, kind, loader, target
    ("complaints", "complaint", tr.complaints, "macro-F1 ≥ 0.86"),
    ("airline_sentiment", "sentiment", tr.airline, "macro-F1 ≥ 0.80"),
    ("tweeteval_sentiment", "sentiment", tr.tweeteval, "macro-recall ≥ 0.65"),
    ("nl_political_tweets", "sentiment", tr.nl_political, "macro-F1 ≥ 0.68"),
    ("nl_restaurant_reviews", "sentiment", tr.nl_restaurant, "macro-F1 ≥ 0.68"),
]


def evaluate_models(data: Path) -> tuple[dict, dict]:
    sets = {name: loader(data) for name, _, loader, _ in TASKS}
    per_fold: dict[str, list[tuple[float, float]]] = defaultdict(list)
    held_out: dict[str, dict] = {}
    for k in range(FOLDS):
        started = time.perf_counter()
        models = tr.train_text_models(tr.training_sets(data, keep=lambda e, k=k: fold(e.text) != k))
        for name, kind, _, _ in TASKS:
            rows = [e for e in sets[name] if fold(e.text) == k]
            predict = complaint_of if kind == "complaint" else sentiment_of
            predicted = [predict(models, e.text) for e in rows]
            truth = [e.label for e in rows]
            per_fold[name].append(macro(truth, predicted))
            if k == 0:
                wrong = [(e, p) for e, p in zip(rows, predicted, strict=True) if p != e.label]
                held_out[name] = {
                    "n": len(rows),
                    "scores": macro(truth, predicted),
                    "per_class": per_class(truth, predicted),
                    "failures": [
                        {"text": shorten(e.text), "label": e.label, "predicted": p}
                        for e, p in wrong[:: max(1, len(wrong) // 4)][:4]
                    ],
                }
        sys.stdout.write(f"fold {k} trained and scored in {time.perf_counter() - started:.0f} s\n")
        sys.stdout.flush()
    cv = {
        name: {
            "f1_mean": statistics.mean(s[0] for s in scores),
            "f1_sd": statistics.stdev(s[0] for s in scores),
            "recall_mean": statistics.mean(s[1] for s in scores),
            "recall_sd": statistics.stdev(s[1] for s in scores),
        }
        for name, scores in per_fold.items()
    }
    return held_out, cv


def per_class(truth: list[str], predicted: list[str]) -> dict[str, list[float]]:
    labels = sorted(set(truth))
    p, r, f, n = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    return {
        label: [float(p[i]), float(r[i]), float(f[i]), int(n[i])] for i, label in enumerate(labels)
    }


def evaluate_baselines(data: Path) -> dict[str, dict[str, tuple[float, float]]]:
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for name, kind, loader, _ in TASKS:
        rows = loader(data)
        train = [e for e in rows if fold(e.text) != 0]
        test = [e for e in rows if fold(e.text) == 0]
        truth = [e.label for e in test]
        majority = Counter(e.label for e in train).most_common(1)[0][0]
        vader = vader_complaint if kind == "complaint" else vader_sentiment
        model = tfidf_baseline().fit([e.text for e in train], [e.label for e in train])
        out[name] = {
            "majority class": macro(truth, [majority] * len(test)),
            "VADER": macro(truth, [vader(e.text) for e in test]),
            "TF-IDF + LR": macro(truth, list(model.predict([e.text for e in test]))),
        }
    return out


def evaluate_language(data: Path) -> dict[str, dict]:
    groups = {
        "nl": tr.nl_political(data) + tr.nl_restaurant(data),
        "en": tr.airline(data) + tr.tweeteval(data) + tr.complaints(data),
    }
    # The restaurant set without its 'mixed' sentences is what the sentiment loader gives;
    # language is scored on every sentence.
    groups["nl"] += [
        tr.Example(r["text"], "", "")
        for r in tr._rows(data / "nl_restaurant_reviews" / "sentences.csv")
        if r["sentence_polarity"] == "mixed"
    ]
    out = {}
    for lang, rows in groups.items():
        ours = [language.detect(e.text)[0] for e in rows]
        cld = [cld2_language(e.text) for e in rows]
        wrong = [(e.text, o) for e, o in zip(rows, ours, strict=True) if o != lang]
        out[lang] = {
            "n": len(rows),
            "ours": sum(o == lang for o in ours) / len(rows),
            "cld2": sum(c == lang for c in cld) / len(rows),
            "failures": [{"text": shorten(t, 60), "predicted": o} for t, o in wrong[:5]],
        }
    return out


def cld2_language(text: str) -> str:
    try:
        code = pycld2.detect(language.clean(text))[2][0][1]
    except pycld2.error:
        return "other"
    return code if code in {"en", "nl"} else "other"


def evaluate_pii(data: Path) -> dict[str, object]:
    cases = json.loads((ROOT / "tests" / "triage" / "pii_cases.json").read_text("utf-8"))["cases"]
    tally: dict[str, Counter] = defaultdict(Counter)
    misses = []
    for text, truth in cases:
        want = Counter((kind, value) for kind, value in truth)
        got = Counter((s.type, text[s.start : s.end]) for s in pii.find(text))
        for key in want | got:
            tp = min(want[key], got[key])
            tally[key[0]]["tp"] += tp
            tally[key[0]]["fn"] += want[key] - tp
            tally[key[0]]["fp"] += got[key] - tp
            if want[key] != got[key]:
                misses.append({"text": text, "type": key[0], "want": want[key], "got": got[key]})
    # The IBM threads: the reference is every address a loose pattern finds (something@
    # something.tld that is not an @handle); ours must find those and nothing else.
    loose = re.compile(r"[^\s@:/(<\"']+@[^\s@]+\.[A-Za-z]{2,}")
    rows = tr._rows(data / "twitter_customer_care_threads" / "conversations.csv")
    email = Counter()
    for row in rows:
        text = row["text"]
        want = {m.group(0).rstrip(".,;:!?)") for m in loose.finditer(text)}
        got = {text[s.start : s.end] for s in pii.find(text) if s.type == "email"}
        email["tp"] += len(want & got)
        email["fn"] += len(want - got)
        email["fp"] += len(got - want)
    return {
        "cases": len(cases),
        "by_type": dict(tally),
        "misses": misses,
        "ibm_email": email,
        "ibm_turns": len(rows),
    }


def pr(c: Counter) -> tuple[float, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return p, r


def latency() -> dict[str, float]:
    """Median microseconds per message of each step, on 2,000 airline tweets."""
    texts = [e.text for e in tr.airline(tr.shared_data_dir())][:2000]
    models = pipeline.text_models()
    steps = {
        "language": language.detect,
        "text models (all heads)": models.predict if models else (lambda t: None),
        "personal data": pii.find,
        "whole triage": lambda t: pipeline.triage(t, "x"),
    }
    out = {}
    for name, step in steps.items():
        for t in texts[:100]:
            step(t)
        samples = []
        for t in texts:
            started = time.perf_counter()
            step(t)
            samples.append(time.perf_counter() - started)
        out[name] = statistics.median(samples) * 1e6
    return out


# --- the report ---------------------------------------------------------------------------


def reached(held_out: float, cv_mean: float, threshold: float) -> str:
    """Reached only when the held-out fold and the cross-validated mean both are: on the
    small sets one lucky fold of 200 rows is no evidence."""
    if held_out >= threshold and cv_mean >= threshold:
        return "yes"
    if held_out >= threshold:
        return "**no** (held-out fold only; CV below)"
    return "**no**"


def f(x: float) -> str:
    return f"{x:.3f}"


def write_doc(held, cv, base, lang, pii_eval, lat) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    L = []
    a = L.append
    a("# Triage: what it is and how well it works")
    a("")
    a(f"Generated by `make eval` (bench/eval_triage.py) on {now}, {machine}. Do not edit by")
    a("hand: change the script and run it again.")
    a("")
    a("Triage runs on every customer message in the background after ingest, on the server")
    a("itself: no text leaves it and nothing is downloaded at run time. It is a pipeline of")
    a("pure functions (src/webcare/triage/pipeline.py):")
    a("")
    a("| step | what | how |")
    a("|---|---|---|")
    a(
        "| language | nl, en or other | naive Bayes over character 3- and 4-grams (committed, trained on openly licensed text only), CLD2 (pycld2) for a third language |"
    )
    a(
        "| sentiment | negative, neutral, positive and a score (P(positive) − P(negative), −1..1) | NB-LR per language (logistic regression over features scaled by naive Bayes log-count ratios, one class against the rest) over binary TF-IDF of word 1-2-grams and of character 3- and 5-grams hashed into 2^18 buckets, plus lexicon scores (VADER's English lexicon, Pattern's Dutch adjectives, a hand-written Dutch list) |"
    )
    a(
        "| intent | question, complaint, praise, feedback, other; needs_reply | complaint: NB-LR over the same features (English); for Dutch, P(negative) ≥ 0.6 or complaint words in a message that is not positive; the others: rules (intent.py) |"
    )
    a(
        "| personal data | e-mail, phone, IBAN, Dutch plate (sidecodes 1-14), postcode, card (Luhn), order/ticket number, with character spans | patterns plus phonenumbers (libphonenumber) and schwifty (IBAN checksum) |"
    )
    a(
        "| priority | 0-100 with reasons in words | a visible sum (priority.py): complaint 30, question 20, feedback 10; negative up to 20; followers up to 20; public 10; personal data in public 20; waiting up to 20 (added when read) |"
    )
    a("")
    a("## Where the models come from (licences)")
    a("")
    a("- **Language model**: committed (`src/webcare/triage/artefacts/language.npz`), trained by")
    a("  `python -m webcare.triage.training language` on XED Dutch subtitles (CC BY 4.0,")
    a("  Öhman et al. 2020), BANKING77 (CC BY 4.0, Casanueva et al. 2020) and the IBM Twitter")
    a("  customer-care threads (Apache-2.0). Their licences allow shipping what is learnt from")
    a("  them, with this attribution. It holds n-gram statistics only, no text.")
    a("- **Text models** (complaint, English and Dutch sentiment): the sets they learn from")
    a("  (complaints, airline_sentiment, tweeteval_sentiment, nl_political_tweets,")
    a("  nl_restaurant_reviews) are for research or non-commercial use only, so the weights are")
    a("  **not committed**: `make install` trains them from `../shared/data` into")
    a("  `src/webcare/triage/trained/` (git-ignored), about two minutes on one core. Without the")
    a("  folder, triage falls back to the lexicons (sentiment from the lexicon score, complaints")
    a("  from words) and the stored model version says `text:lexicon`.")
    a("- **Lexicons**: VADER (MIT, shipped by the vadersentiment package); Pattern's Dutch")
    a("  adjective lexicon (De Smedt & Daelemans, CLiPS, PDDL: public domain), committed as")
    a("  `lexicons/nl_adjectives.tsv`; `lexicons/nl_webcare.tsv` is our own.")
    a("")
    a("## Targets")
    a("")
    a("Held-out = fold 0 of a hash split (a fifth of every set), models trained on the other four")
    a("fifths. CV = mean ± standard deviation over five such folds.")
    a("")
    a("| target | set | held-out | 5-fold CV | reached |")
    a("|---|---|---|---|---|")
    for name, _kind, _, target in TASKS:
        metric = 1 if "recall" in target else 0
        value = held[name]["scores"][metric]
        key = "recall" if metric else "f1"
        threshold = float(target.split("≥")[1])
        a(
            f"| {target} | {name} (n={held[name]['n']}) | {f(value)} | "
            f"{f(cv[name][key + '_mean'])} ± {cv[name][key + '_sd']:.3f} | "
            f"{reached(value, cv[name][key + '_mean'], threshold)} |"
        )
    for code, name in (("nl", "Dutch sets"), ("en", "English sets")):
        v = lang[code]["ours"]
        a(
            f"| language ≥ 99.5 % | {name} (n={lang[code]['n']}, all rows: unseen) | "
            f"{v * 100:.2f} % | – | {'yes' if v >= 0.995 else '**no**'} |"
        )
    for kind in ("email", "phone", "iban", "plate"):
        p, r = pr(pii_eval["by_type"].get(kind, Counter()))
        ok = p >= 0.90 and r >= 0.95
        a(
            f"| PII P ≥ 0.90, R ≥ 0.95 | {kind}, hand-written cases | P {f(p)} R {f(r)} | – | {'yes' if ok else '**no**'} |"
        )
    p, r = pr(pii_eval["ibm_email"])
    ok = p >= 0.90 and r >= 0.95
    n_ibm = pii_eval["ibm_email"]["tp"] + pii_eval["ibm_email"]["fn"]
    a(
        f"| PII P ≥ 0.90, R ≥ 0.95 | e-mail in twitter_customer_care_threads ({n_ibm} addresses) | P {f(p)} R {f(r)} | – | {'yes' if ok else '**no**'} |"
    )
    a("")
    a("## Against the baselines (held-out fold, macro-F1 / macro-recall)")
    a("")
    a("| set | majority class | VADER | TF-IDF + LR | Webcare triage |")
    a("|---|---|---|---|---|")
    for name, _, _, _ in TASKS:
        b = base[name]
        o = held[name]["scores"]
        a(
            f"| {name} | {f(b['majority class'][0])} / {f(b['majority class'][1])} | "
            f"{f(b['VADER'][0])} / {f(b['VADER'][1])} | {f(b['TF-IDF + LR'][0])} / "
            f"{f(b['TF-IDF + LR'][1])} | **{f(o[0])} / {f(o[1])}** |"
        )
    a("")
    a("VADER is English-only: on the Dutch sets it shows what a lexicon that does not know the")
    a("language gives. For complaints it calls a message with a negative compound score a")
    a("complaint. The TF-IDF baseline is word 1-2-grams with a class-balanced logistic regression")
    a("(C=4), trained per set on the same training part.")
    a("")
    a("Per class on the held-out fold (precision / recall / F1, n):")
    a("")
    for name, _, _, _ in TASKS:
        parts = ", ".join(
            f"{label} {v[0]:.2f}/{v[1]:.2f}/{v[2]:.2f} ({v[3]})"
            for label, v in held[name]["per_class"].items()
        )
        a(f"- {name}: {parts}")
    a("")
    a("## Language identification")
    a("")
    a("| set | naive Bayes + CLD2 (ours) | CLD2 alone |")
    a("|---|---|---|")
    for code in ("nl", "en"):
        a(
            f"| {code} (n={lang[code]['n']}) | {lang[code]['ours'] * 100:.2f} % | {lang[code]['cld2'] * 100:.2f} % |"
        )
    a("")
    a("py3langid, measured once during development on the same Dutch sets (restricted to 14")
    a("languages), got 94.5 %; it is not a dependency, so it is not re-run here.")
    a("")
    a("## Personal data")
    a("")
    a(f"Hand-written cases: {pii_eval['cases']} Dutch and English texts in")
    a("tests/triage/pii_cases.json (no real person's data), including texts with flight")
    a("numbers, dates, times, amounts and product codes that must not be taken for personal data.")
    a("")
    a("| type | true positives | false positives | missed | precision | recall |")
    a("|---|---|---|---|---|---|")
    for kind in pii.KINDS:
        c = pii_eval["by_type"].get(kind, Counter())
        p, r = pr(c)
        a(f"| {kind} | {c['tp']} | {c['fp']} | {c['fn']} | {f(p)} | {f(r)} |")
    c = pii_eval["ibm_email"]
    p, r = pr(c)
    a(
        f"| e-mail, IBM threads ({pii_eval['ibm_turns']} turns) | {c['tp']} | {c['fp']} | {c['fn']} | {f(p)} | {f(r)} |"
    )
    a("")
    a("The IBM reference is every `x@y.tld` a loose pattern finds outside @handles; the set has")
    a("few addresses, so this mostly shows that handles, URLs and masked text are not taken for")
    a("addresses. The hand-written cases were written together with the patterns: they show that")
    a("the formats are covered, not how often real customers write them some other way.")
    if pii_eval["misses"]:
        a("")
        a("Disagreements on the hand-written cases:")
        for m in pii_eval["misses"]:
            a(f"- {m['type']}: “{m['text']}” (expected {m['want']}, found {m['got']})")
    a("")
    a("## Latency (median per message, this machine)")
    a("")
    a("| step | µs |")
    a("|---|---|")
    for name, us in lat.items():
        a(f"| {name} | {us:.0f} |")
    a("")
    a("Throughput, one message against a batch, side by side with the TF-IDF baseline:")
    a("`make bench` (bench/bench_triage.py) and docs/benchmarks.md.")
    a("")
    a("## Where it fails")
    a("")
    a("Held-out examples the models got wrong (shortened; @handles replaced):")
    a("")
    for name, _, _, _ in TASKS:
        a(f"**{name}**")
        a("")
        for x in held[name]["failures"]:
            a(f"- “{x['text']}”: labelled {x['label']}, predicted {x['predicted']}")
        a("")
    a("**language**")
    a("")
    for code in ("nl", "en"):
        for x in lang[code]["failures"]:
            a(f"- “{x['text']}”: {code}, predicted {x['predicted']}")
    a("")
    a("Patterns in the failures:")
    a("")
    a("- Neutral is the hard class everywhere: tweets that report a fact with a negative word in")
    a("  it, or a question asked in a friendly tone, sit between the classes, and the annotators")
    a("  disagree with each other there too.")
    a('- Complaints without complaint words (a bare flight number and "still nothing") and')
    a("  non-complaints with them (someone complaining about a third party) are the complaint")
    a("  head's errors. For Dutch there is no complaint data: Dutch complaints are negative")
    a("  sentiment or complaint words, which this page cannot score.")
    a("- The lexicon fallback (no trained models: a fresh clone without ../shared/data) is not")
    a("  scored on this page. It misses what the lexicons miss, and negation is naive: a")
    a("  negator within the three words before a word flips it, across commas too.")
    a("- The Dutch political tweets are about politics, not customer service; the restaurant")
    a("  sentences are short and aspect-based. The two sets share little, and 900 and 1,200")
    a("  labelled rows are few for a model that must learn Dutch sentiment words.")
    a('- Very short texts (names, flight numbers, "Roger wilco.") have too little for language')
    a("  identification; English is chosen when the odds for Dutch are not at least 7:1.")
    a("")
    a("## What was tried")
    a("")
    a("Measured during development with 5-fold cross-validation on the whole sets:")
    a("")
    a("- scikit-learn's own TF-IDF (word 1-2 + char_wb 2-5) with logistic regression, C from 1")
    a("  to 10, balanced or not: complaints 0.79-0.82, airline 0.75-0.77, tweeteval (recall)")
    a("  0.47-0.53, Dutch political 0.59-0.62, Dutch restaurant 0.62-0.64 (macro-F1).")
    a("- Adding VADER's scores as features lifted tweeteval macro-recall from 0.51 to 0.63 and")
    a("  is why the lexicon features exist; our own lexicon scoring matches VADER's (0.626 vs")
    a("  0.625) at a fraction of its cost.")
    a("- Airline tweets as extra complaint examples (negative = complaint, weight 0.3): +0.01.")
    a("- Training the Dutch head on both Dutch sets cost each set 2-3 points against a model per")
    a("  set; adding XED subtitles with emotions mapped to polarity cost 6-8 points. We keep one")
    a("  Dutch model for both (a webcare inbox is neither), and report what that costs.")
    a("- Training the English head on airline and tweeteval together costs tweeteval about two")
    a("  points against tweeteval alone; kept for the same reason.")
    a("- Character n-grams first went through a dict of 178,000 strings (300 µs a message);")
    a("  hashing them into 2^18 buckets with numpy (hashing.py) made triage fit the latency")
    a("  target. The scores above are those of the hashed version; the two were not compared")
    a("  fold for fold.")
    a("- NB-LR (Wang & Manning 2012) instead of a plain logistic regression over the same")
    a("  features, C per head picked on folds 1-4 only (the held-out fold played no part):")
    a("  5-fold CV went from 0.816 to 0.823 (complaints), 0.762 to 0.775 (airline), 0.601 to")
    a("  0.611 (tweeteval recall), 0.624 to 0.633 (Dutch political), 0.652 to 0.661 (Dutch")
    a("  restaurant). Kept: run time is unchanged, because the ratios fold into the weights.")
    a("  Smoothing the ratios with 0.5 or 0.25 instead of 1, or halving or doubling every C,")
    a("  moved the folds 1-4 means by at most 0.01 either way.")
    a("- Static embeddings: model2vec's weights come from a model hub, which neither install nor")
    a("  run time may reach. The one package on the index that ships static embeddings in its")
    a("  wheel, wordllama (256-dimensional, from Llama 2's token embeddings), was measured: its")
    a("  mean-pooled vectors as extra features moved the held-out fold by +0.006 (airline),")
    a("  +0.001 (complaints), -0.07 (tweeteval), -0.08 (Dutch political), -0.02 (Dutch")
    a("  restaurant). Not kept. A transformer (MiniLM) would not fit 1 ms on this machine, and")
    a("  none is installable here.")
    a("- Weak labels from the TWCS airline threads (43,072): a customer's first tweet labelled a")
    a("  complaint when the brand's first answer apologises, not one when it thanks or is glad;")
    a("  19,568 labelled, added to the complaint head at weights 0.05-0.4: mean macro-F1 on three")
    a("  folds 0.811 without, 0.811 at 0.05, 0.804 at 0.15, 0.791 at 0.4. Not kept.")
    a("- Giving tweeteval's rows 2.5 times the weight of the airline rows in the English head,")
    a("  or C from 2 to 8 in a plain logistic regression: tweeteval recall within ±0.003.")
    a("- XED subtitles again, at weight 0.2 beside the Dutch sets: -3.6 (political) and -4.4")
    a("  (restaurant) points of 5-fold CV. Not kept.")
    a("- With NB-LR, measured on folds 1-4: character 3-4-5- or 2-3-4-5-grams instead of 3 and")
    a("  5; words after a negator marked as negated; hashtags also as bare words; the NB-LR")
    a("  weights blended with a plain logistic regression's (30 % or 50 %). Every folds 1-4")
    a("  mean stayed within 0.01 of NB-LR alone. Negation marking lifted tweeteval's held-out")
    a("  fold to 0.651 recall, over its target, but not its folds 1-4 mean (0.602 against")
    a("  0.603): not adopted, because choosing by the held-out fold would fit the test.")
    a("- The complaint target (0.86) and the sentiment targets above 0.8 are at the level")
    a("  published for fine-tuned transformers on these sets; linear models over n-grams land")
    a("  where the table shows. Where a target is marked **no**, that is the measured number.")
    a("")
    DOC.write_text("\n".join(L) + "\n", encoding="utf-8")
    return str(DOC)


def report_only() -> int:
    """Rewrite docs/triage.md from the last run's var/eval/triage.json (`--report-only`;
    with `--latency` as well, the latency is measured again)."""
    results = json.loads((VAR / "triage.json").read_text("utf-8"))
    if "--latency" in sys.argv:  # measure the latency again, keep the scores
        results["latency"] = latency()
        (VAR / "triage.json").write_text(json.dumps(results, indent=1, default=str), "utf-8")
    pii_eval = results["pii"]
    pii_eval["by_type"] = {k: Counter(v) for k, v in pii_eval["by_type"].items()}
    pii_eval["ibm_email"] = Counter(pii_eval["ibm_email"])
    pii_eval["misses"] = results.get("pii_misses", [])
    sys.stdout.write(
        write_doc(
            results["held_out"],
            results["cv"],
            results["baselines"],
            results["language"],
            pii_eval,
            results["latency"],
        )
        + "\n"
    )
    return 0


def main() -> int:
    if "--report-only" in sys.argv:
        return report_only()
    data = tr.shared_data_dir()
    if data is None:
        sys.stdout.write("SKIPPED the triage evaluation: no ../shared/data folder.\n")
        return 0
    VAR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    lang = evaluate_language(data)
    sys.stdout.write(f"language: nl {lang['nl']['ours']:.4f} en {lang['en']['ours']:.4f}\n")
    pii_eval = evaluate_pii(data)
    base = evaluate_baselines(data)
    sys.stdout.write("baselines done\n")
    held, cv = evaluate_models(data)
    lat = latency()
    results = {
        "held_out": held,
        "cv": cv,
        "baselines": base,
        "language": lang,
        "latency": lat,
        "pii": {k: v for k, v in pii_eval.items() if k != "misses"},
        "pii_misses": pii_eval["misses"],
    }
    (VAR / "triage.json").write_text(json.dumps(results, indent=1, default=str), "utf-8")
    path = write_doc(held, cv, base, lang, pii_eval, lat)
    for name, *_ in TASKS:
        sys.stdout.write(
            f"{name}: F1 {held[name]['scores'][0]:.3f} recall {held[name]['scores'][1]:.3f}\n"
        )
    sys.stdout.write(f"wrote {path} in {time.perf_counter() - started:.0f} s\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
