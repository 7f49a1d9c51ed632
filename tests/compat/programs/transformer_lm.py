"""A word-level Transformer language model in the style of the classic example: positional
encoding as a registered buffer, nn.TransformerEncoder with a square subsequent mask built
with torch.triu, log_softmax over 3-D outputs, gradient clipping, and a checkpoint."""
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer('pe', pe)

    def forward(self, x):
        x = x + self.pe[:x.size(0), :]
        return self.dropout(x)


class TransformerModel(nn.Transformer):
    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.1):
        super(TransformerModel, self).__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                                               num_encoder_layers=nlayers)
        self.model_type = 'Transformer'
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        self.init_weights()

    def _generate_square_subsequent_mask(self, sz):
        return torch.log(torch.tril(torch.ones(sz, sz)))

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.input_emb.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, src, has_mask=True):
        if has_mask:
            device = src.device
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                mask = self._generate_square_subsequent_mask(len(src)).to(device)
                self.src_mask = mask
        else:
            self.src_mask = None
        src = self.input_emb(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.encoder(src, mask=self.src_mask)
        output = self.decoder(output)
        return F.log_softmax(output, dim=-1)


if __name__ == "__main__":
    torch.manual_seed(1111)
    ntokens = 20
    corpus = torch.arange(600) * 3 % ntokens
    nbatch = corpus.size(0) // 10
    data = corpus.narrow(0, 0, nbatch * 10).view(10, -1).t().contiguous()
    model = TransformerModel(ntokens, 32, 2, 64, 2, dropout=0.1)
    criterion = nn.NLLLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    model.train()
    for epoch in range(4):
        for i in range(0, data.size(0) - 1, 16):
            seq_len = min(16, len(data) - 1 - i)
            x, y = data[i:i + seq_len], data[i + 1:i + 1 + seq_len].reshape(-1)
            optimizer.zero_grad()
            output = model(x)
            loss = criterion(output.view(-1, ntokens), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            optimizer.step()
            losses.append(loss.item())
    torch.save(model.state_dict(), "transformer.pt")
    keys = list(torch.load("transformer.pt"))
    model.eval()
    with torch.no_grad():
        out = model(data[:8, :2])
    print(json.dumps({"first_loss": losses[0], "last_loss": losses[-1],
                      "ppl": math.exp(losses[-1]), "out_shape": list(out.shape),
                      "n_keys": len(keys), "first_keys": keys[:3]}))
