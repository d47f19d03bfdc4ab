"""BERT from scratch (the course's part 1): the lowest layer, it imports nothing of ours.

    config       BertConfig: the sizes of a BERT, read from a checkpoint's config.json
    tokenizer    Tokenizer: WordPiece over BERT's uncased vocabulary, padding, truncation
    embeddings   BertEmbeddings: word + position + token type, LayerNorm, dropout
    attention    BertSelfAttention: multi-head attention, written out and fused
    layers       BertLayer: attention, feed-forward, residuals and LayerNorms
    model        BertModel: the stack of layers and the pooler
    weights      finding a checkpoint and loading its weights into BertModel
    optim        AdamW, with bias correction and decoupled weight decay
    flops        a training step's matrix-product FLOPs, device peaks, MFU
"""
