using System;
using System.IO;
using System.Threading.Tasks;
using TokenAuth.Errors;

namespace TokenAuth.Credentials
{
    /// <summary>An environment variable, read afresh for each token request.</summary>
    internal sealed class EnvironmentVariableSource : ClientAssertionSource
    {
        private readonly string _name;
        private readonly Func<string, string?> _environment;

        public EnvironmentVariableSource(string name, Func<string, string?> environment)
            : base("Env:" + name, "env " + name)
        {
            _name = name;
            _environment = environment;
        }

        public override string Takes => $"the value of the environment variable {_name}";

        internal override Task<string> FetchAsync(AssertionFetch fetch)
        {
            var value = _environment(_name);
            return string.IsNullOrEmpty(value)
                ? throw new ClientAssertionException(fetch.Provider, Description, $"the environment variable {_name} is not set")
                : Task.FromResult(ReadLimited(fetch.Provider, Description, new StringReader(value!)));
        }
    }
}
