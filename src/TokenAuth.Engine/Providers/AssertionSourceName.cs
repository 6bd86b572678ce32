using System;
using System.IO;
using System.Linq;
using TokenAuth.Json;

namespace TokenAuth.Providers
{
    /// <summary>The kinds of client assertion source a name can say.</summary>
    internal enum AssertionSourceKind
    {
        GitHubActions,
        AzureDevOps,
        Environment,
        File,
        ManagedIdentity,
    }

    /// <summary>
    /// A client assertion source as a definition's token.assertion.source and -ClientAssertion name it: what the name
    /// says, checked, and nothing fetched. The definitions' own vocabulary, below the credentials that read the source.
    /// </summary>
    internal sealed class AssertionSourceName
    {
        /// <summary>The sources by name.</summary>
        public const string Syntax = "GitHubActions[:audience], AzureDevOps[:serviceConnectionId], ManagedIdentity[:clientId], Env:NAME or File[:path]";

        private AssertionSourceName(AssertionSourceKind kind, string? argument)
        {
            Kind = kind;
            Argument = argument;
        }

        public AssertionSourceKind Kind { get; }

        /// <summary>The audience, the service connection's id, the managed identity's id, the variable's name or the file's full path; null: the kind's default.</summary>
        public string? Argument { get; }

        /// <summary>The name as the user gave it, with a relative file path made full.</summary>
        public string Description => Kind switch
        {
            AssertionSourceKind.Environment => "Env:" + Argument,
            _ => Argument == null ? Kind.ToString() : Kind + ":" + Argument,
        };

        /// <summary>A source's name (<see cref="Syntax"/>); a relative file path is taken from <paramref name="baseFolder"/>.</summary>
        /// <exception cref="ArgumentException">Not a source; never quoting the text when it looks like an assertion itself.</exception>
        public static AssertionSourceName Parse(string text, string? baseFolder = null)
        {
            var colon = (text ?? throw new ArgumentNullException(nameof(text))).IndexOf(':');
            var kind = (colon < 0 ? text : text.Substring(0, colon)).Trim();
            var argument = colon < 0 ? null : text.Substring(colon + 1).Trim();
            argument = string.IsNullOrEmpty(argument) ? null : argument;
            switch (kind.ToUpperInvariant())
            {
                case "GITHUBACTIONS":
                    return new AssertionSourceName(AssertionSourceKind.GitHubActions, argument);
                case "AZUREDEVOPS":
                    if (argument != null && !Guid.TryParse(argument, out _))
                    {
                        throw new ArgumentException("AzureDevOps: the service connection id must be its GUID (the service connection's page in Project settings shows it).");
                    }

                    return new AssertionSourceName(AssertionSourceKind.AzureDevOps, argument);
                case "ENV":
                    return argument != null && argument.All(c => char.IsLetterOrDigit(c) || c == '_')
                        ? new AssertionSourceName(AssertionSourceKind.Environment, argument)
                        : throw new ArgumentException("Env: needs the name of the environment variable that holds the assertion, as Env:NAME.");
                case "MANAGEDIDENTITY":
                    return new AssertionSourceName(AssertionSourceKind.ManagedIdentity, argument == null ? null : ManagedIdentityId.Parse(argument).ToString());
                case "FILE":
                    return new AssertionSourceName(AssertionSourceKind.File,
                        argument == null ? null : Path.GetFullPath(Path.Combine(baseFolder ?? Environment.CurrentDirectory, argument)));
            }

            if (text.Length > 40 && Jwt.HasShape(text.Trim()))
            {
                throw new ArgumentException("That is an assertion itself, not where to get one: TokenAuth takes no credential as a plain string. "
                    + $"Name its source ({Syntax}) or give a script block that returns it.");
            }

            // A word is shown back; anything else may be a credential given by mistake, and is not.
            var named = kind.Length > 0 && kind.Length <= 24 && kind.All(char.IsLetterOrDigit) ? $"'{kind}' is not a client assertion source" : "That is not a client assertion source";
            throw new ArgumentException($"{named}: name one of {Syntax}, or give a script block.");
        }
    }
}
