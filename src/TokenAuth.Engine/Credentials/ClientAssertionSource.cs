using System;
using System.IO;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Json;
using TokenAuth.Logging;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>
    /// Where a federated client assertion comes from (workload identity federation): the pipeline's own OIDC token
    /// (GitHub Actions, Azure Pipelines), an environment variable, a file (a Kubernetes projected service-account
    /// token), or the caller's code. A fresh one is fetched for every token request and kept by nothing but that
    /// request: these tokens expire in minutes and are credentials.
    /// </summary>
    public abstract class ClientAssertionSource
    {
        /// <summary>The sources as a definition's token.assertion.source and -ClientAssertion name them.</summary>
        public const string Syntax = AssertionSourceName.Syntax;

        /// <summary>The longest assertion a variable or file may hold: OIDC tokens are a few KiB.</summary>
        private const int MaxLength = 64 * 1024;

        private protected ClientAssertionSource(string description, string identity)
        {
            // Shown in warnings and errors, and a definition (anyone's JSON) may name a source: printable, as every foreign text.
            Description = Redaction.Printable(description);
            Identity = identity;
        }

        /// <summary>The source as the user named it (GitHubActions:api://AzureADTokenExchange, Env:NAME, File:/path...).</summary>
        public string Description { get; }

        /// <summary>What tells this source's tokens apart in the cache from another source's.</summary>
        internal string Identity { get; }

        /// <summary>What the source takes from this machine, in a user's words: shown before a definition's source is consented to.</summary>
        public abstract string Takes { get; }

        /// <summary>Whether the source is the caller's own code (a script block), which runs only where the caller runs.</summary>
        public bool IsCallerCode => this is CallerThreadSource;

        public override string ToString() => Description;

        internal abstract Task<string> FetchAsync(AssertionFetch fetch);

        /// <summary>A source by name (<see cref="Syntax"/>); a relative file path is taken from <paramref name="baseFolder"/>.</summary>
        /// <exception cref="ArgumentException">Not a source; never quoting the text when it looks like an assertion itself.</exception>
        public static ClientAssertionSource Parse(string text, string? baseFolder = null) => Parse(text, baseFolder, Environment.GetEnvironmentVariable);

        internal static ClientAssertionSource Parse(string text, string? baseFolder, Func<string, string?> environment)
        {
            var name = AssertionSourceName.Parse(text, baseFolder);
            return name.Kind switch
            {
                AssertionSourceKind.GitHubActions => new GitHubActionsSource(name.Argument, environment),
                AssertionSourceKind.AzureDevOps => new AzureDevOpsSource(name.Argument, environment),
                AssertionSourceKind.Environment => new EnvironmentVariableSource(name.Argument!, environment),
                AssertionSourceKind.ManagedIdentity => new ManagedIdentitySource(name.Argument == null ? null : ManagedIdentityId.Parse(name.Argument), environment),
                _ => new FileSource(name.Argument, environment),
            };
        }

        /// <summary>The caller's own code (a PowerShell script block), run on the caller's thread through its <see cref="IClientAssertionHost"/>.</summary>
        /// <param name="identity">What tells this code's tokens apart from other code's in the cache (a hash of its text).</param>
        public static ClientAssertionSource OnCallerThread(string description, string identity, Func<string> produce) =>
            new CallerThreadSource(description, identity, produce);

        /// <summary>
        /// The fetched text as an assertion, or a named refusal that never quotes it: a signed JWT (three base64url
        /// parts) of at most 64 KiB that has not expired by this machine's clock.
        /// </summary>
        internal static string Checked(string? fetched, string provider, string source, DateTimeOffset now)
        {
            var assertion = fetched?.Trim();
            if (string.IsNullOrEmpty(assertion))
            {
                throw new ClientAssertionException(provider, source, "it is empty");
            }

            if (assertion!.Length > MaxLength)
            {
                throw new ClientAssertionException(provider, source, $"it is over {MaxLength / 1024} KiB, too long for an assertion");
            }

            if (!Jwt.HasShape(assertion))
            {
                throw new ClientAssertionException(provider, source, "it is not a signed JWT (three base64url parts joined by dots)");
            }

            if (Jwt.ExpiryOf(assertion) is { } expires && expires <= now)
            {
                throw new ClientAssertionException(provider, source,
                    $"it expired at {expires.UtcDateTime:u} (this machine's clock reads {now.UtcDateTime:u}); whatever issues it must renew it");
            }

            return assertion;
        }

        private protected static string ReadLimited(string provider, string source, TextReader reader)
        {
            var buffer = new char[MaxLength + 1];
            var read = 0;
            int count;
            while (read < buffer.Length && (count = reader.Read(buffer, read, buffer.Length - read)) > 0)
            {
                read += count;
            }

            return read > MaxLength
                ? throw new ClientAssertionException(provider, source, $"it is over {MaxLength / 1024} KiB, too long for an assertion")
                : new string(buffer, 0, read);
        }
    }
}
