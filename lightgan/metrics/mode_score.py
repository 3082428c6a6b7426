"""Mode Score (Che et al., 2017): the Inception Score, penalised when the class histogram differs from real data's.

IS rewards confident and diverse predictions but cannot tell a generator that favours some
classes from one that matches the data's class frequencies. The Mode Score adds that term:

    MS = exp(E_x[KL(p(y|x) || p(y))] - KL(p(y) || p*(y)))  =  IS * exp(-KL(p(y) || p*(y)))

with p(y) the mean prediction on generated samples and p*(y) that on real samples. This is the
form of Xu et al. (2018) and Borji (2019). The paper prints the first KL against p*(y) instead,
but E_x[KL(p(y|x) || p*)] - KL(p(y) || p*) = H(y) - H(y|x) for every p*, so that form is IS
itself and could never tell the two generators apart.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def mode_score(logits: Tensor, real_logits: Tensor) -> float:
    """The Mode Score of generated samples' class ``logits`` against real samples' ``real_logits``.

    Over all samples at once (IS's ``splits=1``): between 0 and the number of classes; it equals IS
    when the generated class histogram is the real one.
    """
    log_p = logits.double().log_softmax(dim=1)
    p_y = log_p.exp().mean(dim=0)
    p_star = real_logits.double().softmax(dim=1).mean(dim=0)
    log_p_y = p_y.log()
    conditional_kl = (log_p.exp() * (log_p - log_p_y)).sum(dim=1).mean()
    marginal_kl = (torch.special.xlogy(p_y, p_y) - torch.special.xlogy(p_y, p_star)).sum()
    return math.exp(float(conditional_kl - marginal_kl))
