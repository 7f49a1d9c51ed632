"""REINFORCE (Williams, 1992) on a corridor: a policy network over one-hot positions picks
left or right through ``torch.distributions.Categorical``; the reward is 1 for reaching the
far end, minus a small cost per step. Written as PyTorch's reinforcement-learning example."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical


class Corridor:
    """Positions 0..length-1; start at 0, the goal is the last cell; actions 0 (left) and 1
    (right); an episode ends at the goal or after max_steps."""

    def __init__(self, length=10, max_steps=20):
        self.length, self.max_steps = length, max_steps

    def reset(self):
        self.pos, self.t = 0, 0
        return self._obs()

    def _obs(self):
        obs = np.zeros(self.length, dtype=np.float32)
        obs[self.pos] = 1.0
        return obs

    def step(self, action):
        self.pos = max(0, min(self.length - 1, self.pos + (1 if action == 1 else -1)))
        self.t += 1
        done = self.pos == self.length - 1 or self.t >= self.max_steps
        reward = 1.0 if self.pos == self.length - 1 else -0.01
        return self._obs(), reward, done


class Policy(nn.Module):
    def __init__(self, n_obs, n_actions):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(n_obs, 32)
        self.affine2 = nn.Linear(32, n_actions)
        self.saved_log_probs = []
        self.rewards = []
        self.entropies = []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        return F.softmax(self.affine2(x), dim=1)


def select_action(policy, state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    policy.entropies.append(m.entropy())
    return action.item()


def finish_episode(policy, optimizer, gamma, eps):
    R = 0
    returns = []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    policy_loss = []
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    del policy.entropies[:]


def main():
    parser = argparse.ArgumentParser(description='REINFORCE on a corridor')
    parser.add_argument('--episodes', type=int, default=200)
    parser.add_argument('--gamma', type=float, default=0.97)
    args = parser.parse_args()
    torch.manual_seed(543)
    env = Corridor()
    policy = Policy(env.length, 2)
    optimizer = optim.Adam(policy.parameters(), lr=2e-2)
    eps = np.finfo(np.float32).eps.item()
    returns, lengths, entropies = [], [], []
    for episode in range(args.episodes):
        state, ep_reward = env.reset(), 0.0
        for t in range(env.max_steps):
            action = select_action(policy, state)
            state, reward, done = env.step(action)
            policy.rewards.append(reward)
            ep_reward += reward
            if done:
                break
        returns.append(ep_reward)
        lengths.append(t + 1)
        entropies.append(torch.cat(policy.entropies).mean().item())
        finish_episode(policy, optimizer, args.gamma, eps)
    with torch.no_grad():  # the greedy policy from the start
        env.reset()
        state, steps, done = env._obs(), 0, False
        while not done:
            probs = policy(torch.from_numpy(state).unsqueeze(0))
            state, _, done = env.step(Categorical(probs=probs).probs.argmax().item())
            steps += 1
    print(json.dumps({"first_return": float(np.mean(returns[:10])),
                      "last_return": float(np.mean(returns[-30:])),
                      "first_length": float(np.mean(lengths[:10])),
                      "last_length": float(np.mean(lengths[-30:])),
                      "first_entropy": float(np.mean(entropies[:10])),
                      "last_entropy": float(np.mean(entropies[-30:])),
                      "greedy_steps": steps, "corridor": env.length}))


if __name__ == '__main__':
    main()
