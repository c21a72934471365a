"""Stage 2: the articles' images — resolved, downloaded, verified, kept on disk once, served."""
