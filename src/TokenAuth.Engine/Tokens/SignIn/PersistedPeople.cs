using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Http;
using TokenAuth.Logging;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// Who is who, beyond the session, where tokens persist: one entry per provider, base URI and client in the same vault
    /// as its tokens, holding what <see cref="People"/> knows (each account key and the lower-cased names that find it:
    /// login hints, preferred_username, e-mail) and which account is the current person. A new process reads it once per
    /// client when it does not know the person asked for, so -LoginHint alice (or no hint: the current person) finds the
    /// token a sign-in in another process persisted. Written after each sign-in by reading, merging and writing: two
    /// processes signing people in at the same moment may each write, and the last one wins (a person it dropped is
    /// asked to sign in once more, nothing worse). It never holds a token, refresh token, code or verifier: names only.
    /// A corrupt, foreign or later-format index is warned about once and replaced by the next write, as token entries are.
    /// </summary>
    internal sealed class PersistedPeople
    {
        public const string Format = "TokenAuth.PersistedPeople";

        public const int Version = 1;

        /// <summary>The index key's account: never a token's, whose account is empty (the client's own) or starts with "person".</summary>
        internal const string IndexAccount = "people-index";

        /// <summary>Bounds on what an index read back may hold (it is only text someone could have written).</summary>
        internal const int MaxPeople = 100;

        internal const int MaxNames = 20;

        private const int MaxText = 1024;

        private readonly TokenPersistence _persistence;
        private readonly People _people;

        /// <summary>The indexes this session has read: each once, whatever it held.</summary>
        private readonly ConcurrentDictionary<TokenCacheKey, bool> _read = new ConcurrentDictionary<TokenCacheKey, bool>();

        /// <summary>The indexes this session warned about: one warning each, however often they are read.</summary>
        private readonly ConcurrentDictionary<TokenCacheKey, bool> _warned = new ConcurrentDictionary<TokenCacheKey, bool>();

        public PersistedPeople(TokenPersistence persistence, People people)
        {
            _persistence = persistence;
            _people = people;
        }

        /// <summary>
        /// The index's key: the client's (provider, base URI, client identity and secret fingerprint, as <see cref="People"/>
        /// groups people) with an account no token has, so its name is derived as a token's is and cannot be one.
        /// </summary>
        internal static TokenCacheKey IndexKey(TokenCacheKey key) =>
            new TokenCacheKey(key.Provider, key.BaseUri, key.Identity, key.SecretFingerprint, "", 0, "", "", "", IndexAccount);

        /// <summary>Reads the client's index into the session's people, once in the session.</summary>
        public async Task LoadAsync(TokenRequest request, string vault, ITokenAuthLog? log, CancellationToken cancellationToken)
        {
            var key = IndexKey(request.Key);
            if (!_read.ContainsKey(key))
            {
                await ReadAsync(request, key, vault, log, cancellationToken).ConfigureAwait(false);
                _read[key] = true;
            }
        }

        /// <summary>After a sign-in: what the vault's index holds now, merged with what this session knows, written back.</summary>
        public async Task SaveAsync(TokenRequest request, string vault, ITokenAuthLog? log, CancellationToken cancellationToken)
        {
            var key = IndexKey(request.Key);
            await ReadAsync(request, key, vault, log, cancellationToken).ConfigureAwait(false);
            _read[key] = true;
            var people = _people.Of(request, out var current);
            var name = PersistedTokenName.For(key);
            var provider = request.Target.ProviderName;
            if (await _persistence.WriteTextAsync(vault, name.Name, () => Write(people, current, name), log, cancellationToken,
                    ex => $"{provider}: who signed in could not be noted in the vault '{vault}', so a new process asks them to sign in again: " + TokenPersistence.Reason(ex))
                .ConfigureAwait(false))
            {
                log.Verbose($"{provider}: the people signed in to this client ({people.Count}) noted in the vault '{vault}'.");
            }
        }

        private async Task ReadAsync(TokenRequest request, TokenCacheKey key, string vault, ITokenAuthLog? log, CancellationToken cancellationToken)
        {
            var provider = request.Target.ProviderName;
            var name = PersistedTokenName.For(key);
            if (await _persistence.ReadTextAsync(vault, name.Name, provider, log, cancellationToken).ConfigureAwait(false) is not { } text)
            {
                return;
            }

            var people = Read(text, name, out var current, out var problem);
            if (people == null)
            {
                if (_warned.TryAdd(key, true))
                {
                    log.Warning($"{provider}: the people index persisted in the vault '{vault}' is ignored and will be replaced: {problem}.");
                }

                return;
            }

            _people.Merge(request, people, current);
            log.Verbose($"{provider}: {people.Count} signed-in {(people.Count == 1 ? "person" : "people")} read from the vault '{vault}'.");
        }

        internal static string Write(IReadOnlyList<People.KnownPerson> people, string? current, PersistedTokenName name)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                PersistedEnvelope.WriteHeader(json, Format, Version, name);
                if (current != null)
                {
                    json.WriteString("current", current);
                }

                json.WriteStartArray("people");
                foreach (var person in people.Take(MaxPeople))
                {
                    json.WriteStartObject();
                    json.WriteString("account", person.Account);
                    json.WriteStartArray("names");
                    foreach (var known in person.Names.Take(MaxNames))
                    {
                        json.WriteStringValue(known);
                    }

                    json.WriteEndArray();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            return Encoding.UTF8.GetString(buffer.ToArray());
        }

        /// <summary>The people an index holds; null (and the problem, in words without its content) when it cannot be used.</summary>
        internal static IReadOnlyList<People.KnownPerson>? Read(string text, PersistedTokenName name, out string? current, out string? problem)
        {
            current = null;
            using var document = PersistedEnvelope.Open(text, Format, Version, "people index", "this provider and client", name, out _, out problem);
            if (document == null)
            {
                return null;
            }

            var root = document.RootElement;
            problem = "its people are missing or malformed";
            if (!root.TryGetProperty("people", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var people = new List<People.KnownPerson>();
            foreach (var item in list.EnumerateArray().Take(MaxPeople))
            {
                if (item.ValueKind != JsonValueKind.Object || !IsAccount(PersistedEnvelope.String(item, "account")) || !item.TryGetProperty("names", out var names)
                    || names.ValueKind != JsonValueKind.Array)
                {
                    return null;
                }

                var known = new List<string>();
                foreach (var entry in names.EnumerateArray().Take(MaxNames))
                {
                    if (entry.ValueKind != JsonValueKind.String || entry.GetString() is not { Length: > 0 and <= MaxText } said || HeaderValues.HasControlCharacter(said))
                    {
                        return null;
                    }

                    known.Add(said.ToLowerInvariant());
                }

                people.Add(new People.KnownPerson(PersistedEnvelope.String(item, "account")!, known));
            }

            var named = PersistedEnvelope.String(root, "current");
            if (named != null && !people.Any(person => person.Account == named))
            {
                return null;
            }

            current = named;
            problem = null;
            return people;
        }

        /// <summary>A person's account key as <see cref="People.AccountKey"/> makes it: nothing else is ever looked up with it.</summary>
        private static bool IsAccount(string? account) =>
            account != null && account.StartsWith("person:", StringComparison.Ordinal) && account.Length <= MaxText && !HeaderValues.HasControlCharacter(account);
    }
}
