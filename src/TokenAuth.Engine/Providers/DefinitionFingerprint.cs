using System;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace TokenAuth.Providers
{
    /// <summary>
    /// A definition as it is, hashed, for what was made under it to be told apart from what another made (a persisted
    /// token): a built-in one by the engine build that holds it; one loaded from JSON by that JSON and its folder;
    /// any other by its serialized form. Serializing a definition costs a fresh process a quarter second of
    /// start-up work, which the first two ways never pay.
    /// </summary>
    internal static class DefinitionFingerprint
    {
        private static readonly ConditionalWeakTable<ProviderDefinition, string> Known = new ConditionalWeakTable<ProviderDefinition, string>();

        // The engine build's version with its commit: built-in definitions change only with the engine.
        private static readonly string EngineBuild = typeof(DefinitionFingerprint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(DefinitionFingerprint).Assembly.GetName().Version!.ToString();

        public static string Of(ProviderDefinition definition) =>
            Known.GetValue(definition, static definition => BuiltInProviders.All.Any(builtIn => ReferenceEquals(builtIn, definition))
                ? Hash("built-in\n" + definition.Name + "\n" + EngineBuild)
                : Hash("serialized\n" + ProviderDefinitionLoader.ToJson(definition)));

        /// <summary>Records a definition the loader has just made (a new instance) from this JSON, read relative to this folder.</summary>
        internal static void FromSource(ProviderDefinition definition, string json, string folder) =>
            Known.Add(definition, Hash("json\n" + folder + "\n" + json));

        private static string Hash(string text)
        {
            using var sha = SHA256.Create();
            return Convert.ToBase64String(sha.ComputeHash(Encoding.UTF8.GetBytes(text)));
        }
    }
}
