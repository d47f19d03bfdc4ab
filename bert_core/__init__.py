"""bert_core: minBERT from scratch and the multitask extensions of five CS224N reports.

The library behind the multitask-minbert notebooks: every model, loss, optimiser and
data reader lives here, once, tested; the notebooks explain and run them. Five layers,
each importing only from the ones above it in this list (``lint-imports`` checks it):

bert/           BERT from scratch (the course's part 1)
    config        BertConfig: the sizes of a BERT, from a checkpoint's config.json
    tokenizer     Tokenizer: WordPiece, padding, truncation, sentence pairs
    embeddings    word + position + token-type embeddings
    attention     multi-head self-attention, written out and fused
    layers        the transformer layer
    model         BertModel: the layers and the pooler
    weights       finding a checkpoint, loading its weights
    optim         AdamW
    flops         FLOPs of a step, MFU
multitask/      the multitask model and its tasks (part 2)
    tasks         the task registry: one Task per task
    data          the course's files, the sample set, the download
    pooling       [CLS] pooler, mean, max
    heads         the task heads
    model         MultitaskBERT
    evaluate      metrics, prediction, prediction files
training/       the training loop and its extensions
    config        ExperimentConfig
    datasets      the fixed training and dev subsets
    sampling      samplers, epoch lengths, curricula
    losses        task losses, the ranking loss, balancing terms
    state         TrainingState
    hooks         the loop's plug-in points
    loop          train_run
    plugins       which extensions a config turns on
    ranking, balancing, smart, pcgrad, eda    the extensions
    augmentation, paraphrases   STS swap, SST paraphrases
    distributed   data parallelism under torchrun
    checkpoint, run_folder, memory       resumable checkpoints, a run's folder, peak memory
experiments/    profiles, presets, result, store, run (run_experiment), __main__ (the CLI)
course/         notebook, describe, tables, plots, execute (the main job)
files           the project's folders and atomic writes (any layer)
device          precision, copies to a device, torch.compile (any layer)
errors          the user-facing error types (any layer)
train           ``python -m bert_core.train``: the CLI under its old name
"""

from bert_core.bert.config import BertConfig
from bert_core.bert.model import BertModel
from bert_core.bert.optim import AdamW
from bert_core.bert.tokenizer import Tokenizer

__version__ = "0.1.0"
__all__ = ["BertConfig", "BertModel", "AdamW", "Tokenizer", "__version__"]
