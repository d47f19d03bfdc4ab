"""bert_core: minBERT from scratch and the multitask extensions of five CS224N reports.

The library behind the multitask-minbert notebooks: every model, loss, optimiser and
data reader lives here, once, tested; the notebooks explain and run them.
"""

from bert_core.bert.config import BertConfig
from bert_core.bert.model import BertModel
from bert_core.bert.optim import AdamW
from bert_core.bert.tokenizer import Tokenizer

__version__ = "0.1.0"
__all__ = ["BertConfig", "BertModel", "AdamW", "Tokenizer", "__version__"]
