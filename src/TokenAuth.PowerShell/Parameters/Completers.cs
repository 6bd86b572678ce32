using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using TokenAuth.Providers;
using System.Management.Automation.Language;

namespace TokenAuth.Commands
{
    /// <summary>
    /// What a completion inserts: the text bare only when every character is plainly part of a word or a path, else
    /// single-quoted, so that a name from a definition or a registry (File:x;iex ..., a vault 'Ops;$x=1') completes as
    /// text, never as code.
    /// </summary>
    internal static class CompletionText
    {
        private static readonly System.Text.RegularExpressions.Regex BareArgument = new System.Text.RegularExpressions.Regex(@"^[\w:./\\-]+$");

        public static string AsArgument(string text) =>
            BareArgument.IsMatch(text) ? text : "'" + CodeGeneration.EscapeSingleQuotedStringContent(text) + "'";
    }

    /// <summary>Completes -Provider with the built-in and registered providers.</summary>
    public sealed class ProviderNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) =>
            TokenAuthSession.Providers.All
                .Where(provider => provider.Name.StartsWith(wordToComplete.Trim('\'', '"'), ProviderDefinition.NameComparison))
                .Select(provider => new CompletionResult(provider.Name, provider.Name, CompletionResultType.ParameterValue, provider.Description ?? provider.Name));
    }

    /// <summary>Completes -Environment with the environments of the provider already given.</summary>
    public sealed class EnvironmentCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var provider = TokenAuthSession.Providers.All.FirstOrDefault(definition =>
                ProviderDefinition.NameComparer.Equals(definition.Name, fakeBoundParameters["Provider"] as string));
            return (provider?.Environments ?? new Dictionary<string, string>())
                .Where(environment => environment.Key.StartsWith(wordToComplete.Trim('\'', '"'), StringComparison.OrdinalIgnoreCase))
                .Select(environment => new CompletionResult(environment.Key, environment.Key, CompletionResultType.ParameterValue, environment.Value));
        }
    }

    /// <summary>
    /// Completes a vault's name with the SecretManagement vaults registered (Get-SecretVault), loading SecretManagement
    /// as a vault read would; none where it is not installed.
    /// </summary>
    public sealed class VaultNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            try
            {
                SecretManagementStore.Import("the vaults' names");
            }
            catch (Errors.SecretLookupException)
            {
                return Array.Empty<CompletionResult>();
            }

            using var powerShell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            powerShell.AddCommand(SecretManagementStore.Module + "\\Get-SecretVault").AddParameter("ErrorAction", ActionPreference.Ignore);
            var typed = wordToComplete.Trim('\'', '"');
            return powerShell.Invoke()
                .Select(vault => vault.Properties["Name"]?.Value as string)
                .Where(name => name != null && name.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
                .Select(name => new CompletionResult(CompletionText.AsArgument(name!), name, CompletionResultType.ParameterValue, name))
                .ToList();
        }
    }

    /// <summary>Completes -HttpVersion with the versions HttpClient speaks.</summary>
    public sealed class HttpVersionCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) =>
            new[] { "1.0", "1.1", "2.0", "3.0" }.Where(version => version.StartsWith(wordToComplete.Trim('\'', '"'), StringComparison.Ordinal))
                .Select(version => new CompletionResult(version, version, CompletionResultType.ParameterValue, "HTTP/" + version));
    }
}
