"""paperless-ngx's automatic-matching recipe, as its documents/classifier.py trains tags, for `npm run bench -- filing`.

Reads {"train": [{"text", "label"}], "test": [...]} on stdin and prints one JSON object: top-1 accuracy (the class
with the highest probability), the attached labels (what predict() returns, as paperless assigns tags), and the
training and prediction time. The recipe: lower case, collapse whitespace, letters and digits only (paperless's
preprocess_content without NLTK, which Debian does not ship data for), CountVectorizer(analyzer="word",
ngram_range=(1, 2), min_df=0.01), MultiLabelBinarizer, MLPClassifier(tol=0.01). Run with Debian's python3-sklearn.
"""
import json
import re
import sys
import time

from sklearn.feature_extraction.text import CountVectorizer
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import MultiLabelBinarizer


def preprocess(content):
    content = content.lower().strip()
    content = re.sub(r"\s+", " ", content)
    return re.sub(r"[^\w\s]", " ", content)


def main():
    data = json.load(sys.stdin)
    train, test = data["train"], data["test"]
    started = time.perf_counter()
    vectorizer = CountVectorizer(analyzer="word", ngram_range=(1, 2), min_df=0.01)
    x_train = vectorizer.fit_transform(preprocess(d["text"]) for d in train)
    binarizer = MultiLabelBinarizer()
    y_train = binarizer.fit_transform([[d["label"]] for d in train])
    classifier = MLPClassifier(tol=0.01, random_state=0)
    classifier.fit(x_train, y_train)
    trained = time.perf_counter()
    x_test = vectorizer.transform(preprocess(d["text"]) for d in test)
    probabilities = classifier.predict_proba(x_test)
    attached = binarizer.inverse_transform(classifier.predict(x_test))
    predicted = time.perf_counter()
    classes = list(binarizer.classes_)
    print(json.dumps({
        "top": [classes[max(range(len(classes)), key=lambda i: row[i])] for row in probabilities],
        "attached": [list(labels) for labels in attached],
        "trainSeconds": trained - started,
        "predictSeconds": predicted - trained,
    }))


if __name__ == "__main__":
    main()
