"""Writes the sample set: a few dozen sentences per task in the course's file formats.

Every sentence here was written for this project (none is taken from SST, IMDB, Quora or
STS-B). The files are committed; rerun this script only to change them:
``python bert_core/sample_data/make.py``. Deterministic: the same files every time.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent

SUBJECTS = ["The film", "This movie", "The story", "The script", "The sequel", "The cast",
            "The new comedy", "The director's latest", "This documentary", "The thriller"]
SENTIMENT = {
    0: ["is a tedious , ugly mess from start to finish .", "is the worst thing I have sat through all year .",
        "wastes every good actor it has on lines nobody could save .", "is so dull that I nearly walked out ."],
    1: ["never quite finds its footing .", "is more tiring than funny .",
        "has a few good scenes but too many flat ones .", "feels long even at ninety minutes ."],
    2: ["is about what you would expect .", "plays it safe and ends where it began .",
        "is neither good nor bad , just there .", "will please its fans and few others ."],
    3: ["is warm and often funny .", "has a clever script and a likeable lead .",
        "is a solid , well made piece of work .", "kept me interested the whole way through ."],
    4: ["is a triumph , moving and beautifully shot .", "is the best film of the year , hands down .",
        "is a joy from the first scene to the last .", "is brilliant , funny and deeply human ."],
}
REVIEW_OPEN = ["I rented this on a rainy Sunday .", "My sister talked me into watching this one .",
               "I saw this at a small festival last spring .", "I had heard mixed things before I went ."]
REVIEW = {
    0: ["The plot makes no sense and the acting is wooden .", "I kept checking the clock .",
        "The jokes fall flat and the ending is a cheat .", "Save your money and skip it ."],
    1: ["The characters are real and the writing is sharp .", "I laughed , I cried , I want to see it again .",
        "Every performance is perfectly judged .", "Highly recommended for the whole family ."],
}
TOPICS = ["Python", "the guitar", "French", "machine learning", "chess", "swimming", "cooking",
          "statistics", "photography", "the piano", "public speaking", "drawing"]
PLACES = ["Paris", "Tokyo", "a small town", "New York", "the mountains", "Canada"]
QUESTION_PAIRS = [  # (first, paraphrase, same-frame question on another topic)
    ("How do I learn {t} quickly?", "What is the fastest way to learn {t}?", "How do I learn {u} quickly?"),
    ("What are good books about {t}?", "Which books would you recommend on {t}?", "What are good books about {u}?"),
    ("Is it too late to start {t} at 30?", "Can I still start learning {t} at age 30?", "Is it too late to start {u} at 30?"),
    ("Why is {t} so hard for beginners?", "What makes {t} difficult when you are starting out?", "Why is {u} so hard for beginners?"),
    ("What is the best way to live in {p}?", "How can I make a good life in {p}?", "What is the best way to travel to {p}?"),
]
STS_PAIRS = [  # (a, b, score): written to spread over 0-5 with whole-number spikes
    ("A man is playing a guitar.", "A man plays the guitar.", 5.0),
    ("A woman is slicing an onion.", "A woman cuts an onion.", 4.8),
    ("Two dogs run across a field.", "Two dogs are running through the grass.", 4.4),
    ("A child is riding a bicycle.", "A kid rides a bike down the street.", 4.0),
    ("The cat sleeps on the sofa.", "A cat is lying on a couch.", 4.0),
    ("A man is cooking pasta.", "A man is boiling water in a pot.", 3.0),
    ("The train arrived late in the city.", "The bus was delayed downtown.", 2.2),
    ("A woman is reading a book.", "A woman is writing a letter.", 2.0),
    ("Stocks fell sharply on Monday.", "Markets rose slightly on Friday.", 1.6),
    ("A boy is playing football.", "A girl is playing the violin.", 1.0),
    ("The weather will be sunny tomorrow.", "The shop closes at six.", 0.0),
    ("A bird sits on a branch.", "The meeting was postponed.", 0.0),
    ("A man is singing on a stage.", "A man sings into a microphone.", 4.2),
    ("The president visited the factory.", "The president toured a plant.", 4.6),
    ("A dog is swimming in a lake.", "A dog is playing in the snow.", 1.8),
    ("Someone is peeling a potato.", "A person peels a potato.", 5.0),
    ("The band played a new song.", "The group performed new music.", 3.8),
    ("Rain is expected this weekend.", "It may rain on Saturday.", 3.4),
    ("A woman is dancing.", "A man is driving a car.", 0.4),
    ("Police arrested two suspects.", "Two people were detained by police.", 4.4),
]


def _id(*texts: str) -> str:
    return hashlib.sha256("\t".join(texts).encode()).hexdigest()[:25]


def _write(name: str, header: list[str], rows: list[list[str]], test: bool = False) -> None:
    with (HERE / name).open("w", encoding="utf-8", newline="") as f:
        if test and header[0] == "id" and "sentence" in header:
            # The course's SST and CFIMDB test-student files carry two index columns.
            f.write("0\t\t" + "\t".join(header) + "\n")
            for i, row in enumerate(rows, start=1):
                f.write(f"{i}\t{float(i - 1)}\t" + "\t".join(row) + "\n")
        else:
            f.write("\t" + "\t".join(header) + "\n")
            for i, row in enumerate(rows):
                f.write(f"{i}\t" + "\t".join(row) + "\n")


def main() -> None:
    rng = random.Random(224)
    sst = [(f"{s} {p}", label) for label, phrases in SENTIMENT.items() for p in phrases for s in SUBJECTS]
    rng.shuffle(sst)
    splits = {"train": sst[:48], "dev": sst[48:72], "test": sst[72:96]}
    for split, items in splits.items():
        fname = f"ids-sst-{'test-student' if split == 'test' else split}.csv"
        if split == "test":
            _write(fname, ["id", "sentence"], [[_id(s), " " + s] for s, _ in items], test=True)
        else:
            _write(fname, ["id", "sentence", "sentiment"], [[_id(s), " " + s, str(y)] for s, y in items])

    reviews = []
    for label in (0, 1):
        for i in range(16):
            body = [REVIEW_OPEN[i % 4], REVIEW[label][i % 4], REVIEW[label][(i + 1 + i // 4) % 4]]
            reviews.append((" ".join(body) + f" {SUBJECTS[i % len(SUBJECTS)]} {SENTIMENT[4 * label][i % 4]}", label))
    rng.shuffle(reviews)
    for split, items in {"train": reviews[:16], "dev": reviews[16:24], "test": reviews[24:32]}.items():
        fname = f"ids-cfimdb-{'test-student' if split == 'test' else split}.csv"
        if split == "test":
            _write(fname, ["id", "sentence"], [[_id(s), " " + s] for s, _ in items], test=True)
        else:
            _write(fname, ["id", "sentence", "sentiment"], [[_id(s), " " + s, str(y)] for s, y in items])

    quora = []
    for first, para, other in QUESTION_PAIRS:
        for k in range(6):
            t, u = TOPICS[(k * 5 + len(first)) % len(TOPICS)], TOPICS[(k * 5 + len(first) + 3) % len(TOPICS)]
            p = PLACES[k % len(PLACES)]
            a = first.format(t=t, p=p)
            quora.append((a, para.format(t=t, p=p), 1.0))
            quora.append((a, other.format(u=u, p=p), 0.0))
    rng.shuffle(quora)
    for split, items in {"train": quora[:36], "dev": quora[36:48], "test": quora[48:60]}.items():
        fname = f"quora-{'test-student' if split == 'test' else split}.csv"
        if split == "test":
            _write(fname, ["id", "sentence1", "sentence2"], [[_id(a, b), a, b] for a, b, _ in items])
        else:
            _write(fname, ["id", "sentence1", "sentence2", "is_duplicate"],
                   [[_id(a, b), a, b, str(y)] for a, b, y in items])

    sts = list(STS_PAIRS) + [(b, a, y) for a, b, y in STS_PAIRS]  # both orders
    rng.shuffle(sts)
    for split, items in {"train": sts[:20], "dev": sts[20:32], "test": sts[32:40]}.items():
        fname = f"sts-{'test-student' if split == 'test' else split}.csv"
        if split == "test":
            _write(fname, ["id", "sentence1", "sentence2"], [[_id(a, b), a, b] for a, b, _ in items])
        else:
            _write(fname, ["id", "sentence1", "sentence2", "similarity"],
                   [[_id(a, b), a, b, f"{y:.1f}"] for a, b, y in items])


if __name__ == "__main__":
    main()
