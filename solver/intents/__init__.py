"""Intent protocols: signed orders read, checked and resolved exactly as their settlement contracts do."""
