"""LangChain tools the agents call, thin wrappers over plain service functions."""
