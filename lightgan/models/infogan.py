"""InfoGAN (Chen et al., 2016): latent codes made readable by maximising mutual information."""

from __future__ import annotations

from typing import Any, Literal

import lightning as L
import torch
import torch.nn.functional as F
from torch import Tensor

from lightgan.core.hooks import DiscriminatorStep, GeneratorStep
from lightgan.core.module import GANModule
from lightgan.errors import ConfigError
from lightgan.models.checks import reject_packing, require_images
from lightgan.monitors.traversal import LatentTraversal
from lightgan.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from lightgan.nets.heads import QNetwork, dcgan_feature_size
from lightgan.nets.infogan import SHARED_WIDTH, InfoGANDiscriminator, InfoGANGenerator
from lightgan.nets.norm import check_choice

#: D's LeakyReLU slope in the paper's networks: the appendix says 0.1, the authors' code uses 0.01.
_SLOPES = {"paper": 0.1, "authors": 0.01}


class InfoGAN(GANModule):
    """G's input is ``[noise | one-hot categorical codes | continuous codes]``, ``latent_dim`` long.

    A Q head on D's convolutional body (shared, as in the paper) predicts the codes from a
    generated image. Both players minimise the negative variational lower bound of
    I(c; G(z, c)) besides their adversarial losses (the paper's min over G, Q and max over D of
    V(D, G) - λ L_I): cross-entropy for each categorical code (weight ``info_weight``, the
    paper's λ = 1) and the Gaussian negative log-likelihood with unit variance for continuous
    codes (weight ``continuous_info_weight``). Q trains with D's optimizer, as in the authors'
    code, so the shared body learns features that reveal the codes; G's step makes the codes
    easier to read. Continuous codes are drawn uniformly from [-1, 1].

    Each epoch a latent traversal is saved as ``traversals/epoch=…-step=….png`` in the run
    folder and logged as ``infogan/traversal`` (the ``LatentTraversal`` monitor, which the variant
    brings along): rows are the values of the first categorical code, columns sweep continuous
    code ``traversal_code`` over [-2, 2], the noise is fixed.

    Args:
        categorical_codes: number of values of each categorical code ([10] for MNIST digits).
        continuous_codes: number of continuous codes.
        info_weight: λ for the categorical codes.
        continuous_info_weight: λ for the continuous codes.
        base_channels: channel width of the largest feature map (``network: dcgan``).
        network: ``dcgan``: lightgan's DCGAN networks, Q on D's convolutional features. ``paper``:
            the paper's MNIST networks (appendix C.1), D and Q sharing a fully connected layer of
            1024 units too; ``authors``: the same with the authors' code's LeakyReLU slope (0.01,
            not 0.1).
        q_hidden: width of the Q head's hidden layer.
        traversal_code: which continuous code the traversal sweeps.
        traversal_steps: columns of the traversal.
        **kwargs: everything ``GANModule`` takes; ``latent_dim`` counts noise and codes together.
    """

    #: Q trains with D's optimizer, as in the authors' code.
    discriminator_networks = ("discriminator", "q_head")

    def __init__(
        self,
        categorical_codes: tuple[int, ...] = (10,),
        continuous_codes: int = 2,
        info_weight: float = 1.0,
        continuous_info_weight: float = 0.1,
        base_channels: int = 64,
        network: Literal["dcgan", "paper", "authors"] = "dcgan",
        q_hidden: int = 128,
        traversal_code: int = 0,
        traversal_steps: int = 10,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        require_images(type(self).__name__, self.data_shape)
        reject_packing(type(self).__name__, self.pack, "its Q head must recover each sample's codes")
        self.categorical_codes = tuple(int(k) for k in categorical_codes)
        self.continuous_codes = continuous_codes
        self._check_codes(traversal_code, traversal_steps)
        self.noise_dim = self.latent_dim - sum(self.categorical_codes) - continuous_codes
        self.info_weight, self.continuous_info_weight = info_weight, continuous_info_weight
        self.traversal_code, self.traversal_steps = traversal_code, traversal_steps
        check_choice("network", network, ("dcgan", *_SLOPES))
        if network == "dcgan":
            self.generator = DCGANGenerator(self.latent_dim, self.data_shape, base_channels)
            self.discriminator = DCGANDiscriminator(self.data_shape, base_channels)
            features, slope = dcgan_feature_size(self.data_shape, base_channels), 0.2
        else:
            slope = _SLOPES[network]
            self.generator = InfoGANGenerator(self.latent_dim, self.data_shape)
            self.discriminator = InfoGANDiscriminator(self.data_shape, slope)
            features = SHARED_WIDTH
        self.q_head = QNetwork(features, self.categorical_codes, continuous_codes, q_hidden, slope)

    def _check_codes(self, traversal_code: int, traversal_steps: int) -> None:
        cats, conts = self.categorical_codes, self.continuous_codes
        if any(k < 2 for k in cats) or conts < 0:
            raise ConfigError(
                f"InfoGAN codes: every categorical code needs at least 2 values and continuous_codes must be >= 0, "
                f"got categorical_codes={list(cats)}, continuous_codes={conts}."
            )
        if not cats and not conts:
            raise ConfigError("InfoGAN needs at least one code: set categorical_codes (e.g. [10]) or continuous_codes.")
        needed = sum(cats) + conts
        if needed >= self.latent_dim:
            raise ConfigError(
                f"InfoGAN codes do not fit latent_dim={self.latent_dim}: categorical_codes={list(cats)} "
                f"({sum(cats)} one-hot inputs) + continuous_codes={conts} take {needed}, leaving "
                f"{self.latent_dim - needed} for noise. Set model.init_args.latent_dim to at least {needed + 1} "
                f"(the paper uses 62 noise + the codes, i.e. latent_dim={62 + needed})."
            )
        if conts and not 0 <= traversal_code < conts:
            raise ConfigError(
                f"InfoGAN traversal_code={traversal_code} but there are only {conts} continuous codes "
                f"(valid: 0..{conts - 1})."
            )
        if traversal_steps < 2:
            raise ConfigError(f"InfoGAN traversal_steps must be >= 2, got {traversal_steps}.")

    # ------------------------------------------------------------------ latent layout
    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Noise from the configured prior followed by random one-hot codes and uniform continuous codes."""
        z = super().sample_noise(n, generator)
        device = generator.device if generator is not None else self.device
        codes = [
            F.one_hot(torch.randint(0, k, (n,), generator=generator, device=device), k).float()
            for k in self.categorical_codes
        ]
        codes.append(torch.rand(n, self.continuous_codes, generator=generator, device=device) * 2 - 1)
        z[:, self.noise_dim :] = torch.cat(codes, dim=1).to(z)
        return z

    def split_latent(self, z: Tensor) -> tuple[Tensor, list[Tensor], Tensor]:
        """(noise, [one-hot of each categorical code], continuous codes)."""
        noise, *cats, cont = z.split([self.noise_dim, *self.categorical_codes, self.continuous_codes], dim=1)
        return noise, cats, cont

    # ------------------------------------------------------------------ objective
    def info_loss(self, features: Tensor, z: Tensor) -> tuple[Tensor, Tensor]:
        """(weighted negative MI lower bound, Q's accuracy at recovering the categorical codes)."""
        logits, means = self.q_head(features)
        _, cats, cont = self.split_latent(z)
        loss = features.new_zeros(())
        correct = []
        for code_logits, one_hot in zip(logits, cats, strict=True):
            target = one_hot.argmax(1)
            loss = loss + self.info_weight * F.cross_entropy(code_logits, target)
            correct.append((code_logits.argmax(1) == target).float())
        if self.continuous_codes:
            loss = loss + self.continuous_info_weight * 0.5 * ((cont - means) ** 2).sum(1).mean()
        accuracy = torch.cat(correct).mean() if correct else features.new_tensor(float("nan"))
        return loss, accuracy

    def discriminator_loss(self, step: DiscriminatorStep) -> Tensor:
        step.real_out = self.discriminator(step.real)
        features = self.discriminator.features(step.fake)
        step.fake_out = self.discriminator.head(features).view(-1)
        info, _ = self.info_loss(features, step.z)
        step.logs["train/d_info_loss"] = info
        adversarial = self.loss.discriminator_loss(step.real_out, step.fake_out, step.real_target, step.fake_target)
        return adversarial + info

    def generator_loss(self, step: GeneratorStep) -> Tensor:
        features = self.discriminator.features(step.fake)
        step.fake_out = self.discriminator.head(features).view(-1)
        info, accuracy = self.info_loss(features, step.z)
        step.logs["train/info_loss"] = info
        step.logs["train/q_categorical_acc"] = accuracy
        return self.adversarial_generator_loss(step) + info

    # ------------------------------------------------------------------ traversal picture
    def traversal_latents(self, seed: int = 0) -> Tensor:
        """Rows: values of the first categorical code; columns: the swept continuous code; fixed noise."""
        rows = self.categorical_codes[0] if self.categorical_codes else 1
        cols = self.traversal_steps if self.continuous_codes else 1
        noise = super().sample_noise(1, torch.Generator(device=self.device).manual_seed(seed))
        z = noise.repeat(rows * cols, 1)
        z[:, self.noise_dim :] = 0
        offset, index = self.noise_dim, torch.arange(rows * cols, device=z.device)
        for i, k in enumerate(self.categorical_codes):  # codes after the first stay at value 0
            value = torch.arange(rows, device=z.device).repeat_interleave(cols) if i == 0 else torch.zeros_like(index)
            z[index, offset + value] = 1.0
            offset += k
        if self.continuous_codes:
            z[:, offset + self.traversal_code] = torch.linspace(-2, 2, cols, device=self.device).repeat(rows)
        return z

    def traversal(self) -> tuple[Tensor, int]:
        """The traversal latents and how many columns the grid has (what ``LatentTraversal`` draws)."""
        return self.traversal_latents(), self.traversal_steps if self.continuous_codes else 1

    def configure_callbacks(self) -> list[L.Callback]:
        return [*super().configure_callbacks(), LatentTraversal(log_key="infogan/traversal")]
