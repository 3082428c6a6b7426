"""Looking inside trained GANs: concepts, dissection, intervention, projection and probes."""
