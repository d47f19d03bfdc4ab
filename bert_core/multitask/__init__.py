"""The multitask model and its tasks (the course's part 2): reads ``bert_core.bert``.

    tasks        the task registry: one frozen Task per task (kind, files, labels, metric, loss)
    data         the course's files: reading, checking, the sample set, the download
    extra        extra training data: Yelp reviews for SST, SNLI pairs for STS (report 001)
    pooling      a sentence embedding from BERT's outputs: [CLS] pooler, mean, max
    heads        the task heads (linear, concatenation, siamese, cosine, MLP, cross-encoder)
    model        MultitaskBERT: one encoder, a head per task, separate or cross-encoded pairs
    evaluate     the course's metrics, prediction over a dataset, prediction files
"""
