using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Net;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using TokenAuth.Credentials;
using TokenAuth.Providers;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Binds -ClientAssertion: a source's name (GitHubActions, AzureDevOps:ID, ManagedIdentity[:ID], Env:NAME, File:PATH, a relative path
    /// from the current location) or a script block, run on the pipeline thread for each token request. Never the
    /// assertion itself: it expires in minutes, and TokenAuth takes no credential as a plain string.
    /// </summary>
    public sealed class ClientAssertionSourceTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            switch (inputData is PSObject wrapped ? wrapped.BaseObject : inputData)
            {
                case null:
                    return null;
                case ClientAssertionSource source:
                    return source;
                case ScriptBlock script:
                    return FromScriptBlock(script);
                case string text when text.Length == 0:
                    // Set-TokenAuthOption -ClientAssertion '': no session source.
                    return null;
                case string text:
                    try
                    {
                        return ClientAssertionSource.Parse(text, engineIntrinsics.SessionState.Path.CurrentFileSystemLocation.ProviderPath);
                    }
                    catch (ArgumentException ex)
                    {
                        throw new ArgumentTransformationMetadataException(ex.Message, ex);
                    }

                case SecureString _:
                    throw new ArgumentTransformationMetadataException(
                        "A fixed assertion would expire before the token is renewed: give a script block that reads it again for each token request, "
                        + "such as { Get-Secret -Name NAME -AsPlainText }.");
                default:
                    throw new ArgumentTransformationMetadataException($"-ClientAssertion takes a source ({ClientAssertionSource.Syntax}) or a script block.");
            }
        }

        /// <summary>
        /// The script block as a source: its tokens are told apart by its text. It runs on the pipeline thread of the
        /// command that needs a token, and must return the assertion as one string (or a SecureString, as Get-Secret does).
        /// </summary>
        private static ClientAssertionSource FromScriptBlock(ScriptBlock script)
        {
            byte[] hash;
            using (var sha = SHA256.Create())
            {
                hash = sha.ComputeHash(Encoding.UTF8.GetBytes(script.ToString()));
            }

            var identity = "script " + BitConverter.ToString(hash).Replace("-", "");
            return ClientAssertionSource.OnCallerThread("the -ClientAssertion script block", identity, () =>
            {
                var output = script.Invoke().Where(item => item != null && item.BaseObject != null).ToList();
                if (output.Count != 1)
                {
                    throw new InvalidOperationException($"it returned {output.Count} objects, where the assertion must come back as one string");
                }

                return output[0].BaseObject switch
                {
                    string text => text,
                    SecureString secure => new NetworkCredential(string.Empty, secure).Password,
                    var other => throw new InvalidOperationException($"it returned a {other.GetType().Name}, where the assertion must come back as a string"),
                };
            });
        }
    }

    /// <summary>
    /// Completes -ClientAssertion with the source the named provider's definition shows (to accept it, the user names it),
    /// the sources' names, and Env: with the environment's variables.
    /// </summary>
    public sealed class ClientAssertionSourceCompleter : IArgumentCompleter
    {
        private static readonly (string Name, string Description)[] Sources =
        {
            ("GitHubActions", "GitHub Actions' OIDC token for the job (needs permissions: id-token: write); GitHubActions:AUDIENCE asks for an audience"),
            ("AzureDevOps:", "Azure Pipelines' OIDC token for a service connection (AzureDevOps:ID) or the pipeline (needs SYSTEM_ACCESSTOKEN mapped)"),
            ("ManagedIdentity", "this machine's Azure managed identity's token for api://AzureADTokenExchange; ManagedIdentity:CLIENTID for a user-assigned one"),
            ("Env:", "an environment variable holding the assertion"),
            ("File", "the file AZURE_FEDERATED_TOKEN_FILE names; File:PATH for another (a Kubernetes projected token)"),
        };

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var word = wordToComplete.Trim('\'', '"');
            var shown = DefinitionSources(fakeBoundParameters)
                .Where(source => source.Description.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                .Select(source => new CompletionResult(CompletionText.AsArgument(source.Description), source.Description, CompletionResultType.ParameterValue, "named by the provider's definition: " + source.Takes))
                .ToList();
            if (word.StartsWith("Env:", StringComparison.OrdinalIgnoreCase))
            {
                return shown.Concat(System.Environment.GetEnvironmentVariables().Keys.OfType<string>()
                    .Where(name => name.StartsWith(word.Substring(4), StringComparison.OrdinalIgnoreCase))
                    .OrderBy(name => name, StringComparer.OrdinalIgnoreCase)
                    .Select(name => new CompletionResult("Env:" + name, name, CompletionResultType.ParameterValue, "the environment variable " + name)));
            }

            return shown.Concat(Sources.Where(source => source.Name.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                .Select(source => new CompletionResult(source.Name, source.Name, CompletionResultType.ParameterValue, source.Description)));
        }

        /// <summary>The sources the definitions of the providers on the command line (-Provider, -ClientAssertionProvider) name.</summary>
        private static IEnumerable<ClientAssertionSource> DefinitionSources(IDictionary fakeBoundParameters)
        {
            var names = new List<string>();
            foreach (var value in new[] { fakeBoundParameters["Provider"], fakeBoundParameters["ClientAssertionProvider"] })
            {
                if (value is string name)
                {
                    names.Add(name);
                }
                else if (value is IEnumerable list)
                {
                    names.AddRange(list.OfType<string>());
                }
            }

            return TokenAuthSession.Providers.All
                .Where(definition => names.Contains(definition.Name, ProviderDefinition.NameComparer))
                .Select(AmbientIdentity.Of)
                .Where(ambient => ambient != null)
                .Select(ambient => ambient!.Source)
                .Distinct();
        }
    }
}
