using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using TokenAuth.Errors;

namespace TokenAuth.Providers
{
    /// <summary>The built-in providers and those registered from JSON definitions in this session.</summary>
    public sealed class ProviderRegistry
    {
        private readonly ConcurrentDictionary<string, ProviderDefinition> _custom = new ConcurrentDictionary<string, ProviderDefinition>(ProviderDefinition.NameComparer);
        private readonly Dictionary<string, ProviderDefinition> _builtIn;

        public ProviderRegistry()
        {
            _builtIn = BuiltInProviders.All.ToDictionary(provider => provider.Name, ProviderDefinition.NameComparer);
        }

        /// <summary>Every provider, built-in first, by name.</summary>
        public IReadOnlyList<ProviderDefinition> All =>
            _builtIn.Values.Concat(_custom.Values.OrderBy(provider => provider.Name, ProviderDefinition.NameComparer)).ToList();

        public bool IsBuiltIn(string name) => _builtIn.ContainsKey(name);

        /// <summary>Adds a custom provider, or replaces one registered under the same name earlier in the session.</summary>
        public void Register(ProviderDefinition definition)
        {
            if (_builtIn.ContainsKey(definition.Name))
            {
                throw new ProviderConfigurationException(
                    $"'{definition.Name}' is the name of a built-in provider; give the custom definition another name (a base URI override needs no definition).",
                    definition.Name, "$.name");
            }

            _custom[definition.Name] = definition;
        }

        /// <summary>Forgets a custom provider; false when none of that name is registered. A built-in provider cannot be unregistered.</summary>
        public bool Unregister(string name)
        {
            if (_builtIn.ContainsKey(name))
            {
                throw new ProviderConfigurationException($"'{name}' is a built-in provider; only providers you registered can be unregistered.", name, "$.name");
            }

            return _custom.TryRemove(name, out _);
        }

        public ProviderDefinition Get(string name)
        {
            if (_builtIn.TryGetValue(name, out var builtIn) || _custom.TryGetValue(name, out builtIn))
            {
                return builtIn;
            }

            throw new ProviderConfigurationException(
                $"There is no provider named '{name}'. Known providers: {string.Join(", ", All.Select(provider => provider.Name))}. Register others from a JSON definition.",
                name, "Provider");
        }
    }
}
