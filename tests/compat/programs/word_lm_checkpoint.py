"""The word-level language model keeping its best model as the classic example does: the whole
module is saved with ``torch.save(model, f)`` after each epoch whose validation loss improves,
and reloaded at the end with ``torch.load(f)`` inside ``torch.serialization.safe_globals``
naming the classes of the file (PyTorch 2.6+ loads only allowed classes)."""
import json
import math
import os

import torch
import torch.nn as nn


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.2):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.decoder.weight = self.encoder.weight  # tied
        self.nhid, self.nlayers = nhid, nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                weight.new_zeros(self.nlayers, bsz, self.nhid))


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    return data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt=8):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].view(-1)


def evaluate(model, data_source, criterion):
    model.eval()
    total, hidden = 0.0, model.init_hidden(4)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, 8):
            data, targets = get_batch(data_source, i)
            output, hidden = model(data, hidden)
            total += len(data) * criterion(output, targets).item()
    return total / (len(data_source) - 1)


if __name__ == "__main__":
    torch.manual_seed(1111)
    ntokens = 30
    corpus = torch.arange(480) * 7 % ntokens
    train_data, val_data = batchify(corpus[:400], 4), batchify(corpus[400:], 4)
    model = RNNModel(ntokens, 16, 16, 2)
    criterion = nn.NLLLoss()
    lr, best_val_loss, saves = 20.0, None, 0
    for epoch in range(4):
        model.train()
        hidden = model.init_hidden(4)
        for i in range(0, train_data.size(0) - 1, 8):
            data, targets = get_batch(train_data, i)
            hidden = tuple(h.detach() for h in hidden)
            model.zero_grad()
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
        val_loss = evaluate(model, val_data, criterion)
        if not best_val_loss or val_loss < best_val_loss:
            with open("model.pt", "wb") as f:
                torch.save(model, f)
            best_val_loss, saves = val_loss, saves + 1
        else:
            lr /= 4.0

    with open("model.pt", "rb") as f:
        with torch.serialization.safe_globals([RNNModel, torch.nn.modules.dropout.Dropout,
                                               torch.nn.modules.sparse.Embedding,
                                               torch.nn.modules.rnn.LSTM,
                                               torch.nn.modules.linear.Linear]):
            model = torch.load(f)
        model.rnn.flatten_parameters()
    reloaded_loss = evaluate(model, val_data, criterion)
    try:
        with open("model.pt", "rb") as f:
            torch.load(f)  # outside the block: the classes are not allowed
        refused = False
    except Exception as exc:  # noqa: BLE001 - either library's error type
        refused = "Unsupported global" in str(exc) and "RNNModel" in str(exc)
    print(json.dumps({"best_val_loss": best_val_loss, "reloaded_loss": reloaded_loss,
                      "saves": saves, "tied": model.decoder.weight is model.encoder.weight,
                      "type": type(model).__name__, "rnn": type(model.rnn).__name__,
                      "refused_without_allow_list": refused,
                      "file_kb": round(os.path.getsize("model.pt") / 1024),
                      "ppl": math.exp(reloaded_loss)}))
