"""The multitask model and its tasks (the course's part 2): reads ``bert_core.bert``.

    tasks        the task registry: one frozen Task per task (kind, files, labels, metric, loss)
    examples     the examples: a sentence with its sentiment, a pair with its label
    data         the course's files: where they are, a task's examples (load_task), the sample set
    reader       the strict reader of the tab-separated files: nothing dropped silently
    download     fetching the course's files from the starter repository (online)
    extra        extra training data: Yelp reviews for SST, SNLI pairs for STS (report 001)
    pooling      a sentence embedding from BERT's outputs: [CLS] pooler, mean, max
    heads        the task heads (linear, concatenation, siamese, cosine, MLP, cross-encoder)
    model        MultitaskBERT: one encoder, a head per task, separate or cross-encoded pairs
    evaluate     the course's metrics, prediction over a dataset, prediction files
"""
