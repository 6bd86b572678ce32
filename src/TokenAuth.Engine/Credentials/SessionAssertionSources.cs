using System;
using System.Collections.Generic;
using System.Linq;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// The session's client assertion sources, each for the providers the user named for it: an assertion fetched for
    /// one audience (Entra ID's) must not reach another provider (a vendor's). Immutable: a change makes a new one.
    /// </summary>
    public sealed class SessionAssertionSources
    {
        public static readonly SessionAssertionSources None = new SessionAssertionSources(new Dictionary<string, ClientAssertionSource>(ProviderDefinition.NameComparer));

        private readonly Dictionary<string, ClientAssertionSource> _byProvider;

        private SessionAssertionSources(Dictionary<string, ClientAssertionSource> byProvider) => _byProvider = byProvider;

        /// <summary>Provider and source, by provider name: what Get-TokenAuthOption shows.</summary>
        public IEnumerable<KeyValuePair<string, ClientAssertionSource>> Entries => _byProvider.OrderBy(entry => entry.Key, ProviderDefinition.NameComparer);

        /// <summary>The same, with <paramref name="source"/> for each of <paramref name="providers"/> (null: none for them).</summary>
        public SessionAssertionSources With(IEnumerable<string> providers, ClientAssertionSource? source)
        {
            if (source?.IsCallerCode == true)
            {
                throw new ArgumentException("The caller's code runs only with the call that names it.", nameof(source));
            }

            var byProvider = new Dictionary<string, ClientAssertionSource>(_byProvider, ProviderDefinition.NameComparer);
            foreach (var provider in providers)
            {
                if (source == null)
                {
                    byProvider.Remove(provider);
                }
                else
                {
                    byProvider[provider] = source;
                }
            }

            return new SessionAssertionSources(byProvider);
        }

        /// <summary>
        /// The session's source for a provider the user named, on the command line, for this call; never for a provider
        /// a piped object chose, whose assertions would then go wherever a value in the pipe points.
        /// </summary>
        public ClientAssertionSource? For(string provider, bool namedByUser) =>
            namedByUser && _byProvider.TryGetValue(provider, out var source) ? source : null;
    }
}
