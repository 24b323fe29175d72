"""Private helpers shared by every layer: errors, validation, RNG, logging."""
