"""Channel adapters: the only code that talks to mail servers, webhooks and chat robots. Only
workers call them; domain code enqueues messages in the outbox instead."""
