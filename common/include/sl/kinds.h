// sl/kinds.h - the provider kinds sluice can talk to: the one list of them.
//
// The config accepts exactly these as providers[].kind (common/src/config.c), and the provider
// worker has one adapter per kind, named provider_<kind>_adapter (actors/provider/adapter.c
// builds its table from this list, so a kind without an adapter does not link). A new kind is
// one more line here and one more adapter. The first kind is the default of the built-in
// providers. Header only: an X-macro, no data.
#ifndef SL_KINDS_H
#define SL_KINDS_H

// X(kind): kind is the bare name, as written in the config file.
#define SL_PROVIDER_KINDS(X) \
    X(openai)                \
    X(anthropic)             \
    X(gemini)                \
    X(cohere)                \
    X(ollama)

#endif
