// Placeholder until the checkpoint reader lands.
