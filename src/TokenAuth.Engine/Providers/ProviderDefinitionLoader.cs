using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;

namespace TokenAuth.Providers
{
    /// <summary>
    /// Loads a custom provider from JSON (the schema of <see cref="ProviderDefinition"/>, camelCase, see
    /// docs/provider-definitions.md) and checks it, naming the bad field and where it is.
    /// </summary>
    public static partial class ProviderDefinitionLoader
    {
        private static readonly JsonSerializerOptions SerializerOptions = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DictionaryKeyPolicy = null,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
            WriteIndented = true,
        };

        private static readonly Dictionary<string, string> AllowedValues = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["encoding"] = string.Join(", ", Enum.GetNames(typeof(BodyEncoding))),
            ["format"] = string.Join(", ", Enum.GetNames(typeof(ExpiryFormat))),
            ["clientAuthentication"] = string.Join(", ", Enum.GetNames(typeof(ClientAuthentication))),
            ["authentication"] = string.Join(", ", Enum.GetNames(typeof(RevokeAuthentication))),
            ["algorithm"] = string.Join(", ", Enum.GetNames(typeof(AssertionAlgorithm))),
            ["thumbprint"] = string.Join(", ", Enum.GetNames(typeof(AssertionThumbprint))),
            ["fields"] = string.Join(", ", Enum.GetNames(typeof(CredentialField))),
            ["maxLength"] = string.Join(", ", Enum.GetNames(typeof(CredentialField))),
        };

        public static ProviderDefinition LoadFile(string path)
        {
            string json;
            try
            {
                json = File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new ProviderConfigurationException($"Cannot read the provider definition '{path}': {ex.Message}", null, path, ex);
            }

            var folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "";
            var definition = WithPathsFrom(Parse(json, path), folder);
            DefinitionFingerprint.FromSource(definition, json, folder);
            return definition;
        }

        /// <summary>Files a definition names are relative to the definition's own folder.</summary>
        private static ProviderDefinition WithPathsFrom(ProviderDefinition definition, string folder)
        {
            string? Resolve(string? file) => file == null ? null : Path.Combine(folder, file);
            var certificate = definition.ClientCertificate;
            var assertion = definition.Token.Assertion;
            GrantTokenSpec? Resolved(GrantTokenSpec? grant) =>
                grant?.Source == null ? grant : grant with { Source = AssertionSourceName.Parse(grant.Source, folder).Description };
            definition = definition with { Token = definition.Token with { Subject = Resolved(definition.Token.Subject), Actor = Resolved(definition.Token.Actor) } };
            return definition with
            {
                TrustedCertificates = Resolve(definition.TrustedCertificates),
                ClientCertificate = certificate == null ? null
                    : certificate with { CertificateFile = Resolve(certificate.CertificateFile), KeyFile = Resolve(certificate.KeyFile) },
                Token = assertion?.Source == null ? definition.Token
                    : definition.Token with { Assertion = assertion with { Source = AssertionSourceName.Parse(assertion.Source, folder).Description } },
            };
        }

        /// <param name="source">Named in error messages: the file the JSON came from.</param>
        public static ProviderDefinition Parse(string json, string source = "provider definition")
        {
            ProviderDefinition? definition;
            try
            {
                definition = JsonSerializer.Deserialize<ProviderDefinition>(json, SerializerOptions);
            }
            catch (JsonException ex)
            {
                var location = $"{source}: {ex.Path ?? "$"} (line {(ex.LineNumber ?? 0) + 1})";
                throw new ProviderConfigurationException($"{location}: {Describe(ex)}", null, location, ex);
            }

            if (definition == null)
            {
                throw new ProviderConfigurationException($"{source}: the file holds no provider definition (it is 'null').", null, source);
            }

            var problems = Validate(definition).ToList();
            if (problems.Count > 0)
            {
                var first = problems[0];
                throw new ProviderConfigurationException(
                    $"{source}: {string.Join("; ", problems.Select(problem => $"{problem.Path}: {problem.Message}"))}.",
                    definition.Name, $"{source}: {first.Path}");
            }

            return definition;
        }

        public static string ToJson(ProviderDefinition definition) => JsonSerializer.Serialize(definition, SerializerOptions);

        private static string Describe(JsonException ex)
        {
            if (ex.Message.IndexOf("could not be mapped", StringComparison.Ordinal) >= 0)
            {
                return "is not a field of a provider definition (check its spelling against docs/provider-definitions.md)";
            }

            var last = (ex.Path ?? "").Split('.').Last();
            var bracket = last.IndexOf('[');
            last = bracket >= 0 ? last.Substring(0, bracket) : last;
            if (AllowedValues.TryGetValue(last, out var allowed))
            {
                return $"has a value that is not allowed here; use one of: {allowed}";
            }

            // The parser's own words, without its trailing "Path: ... | LineNumber: ..." which the location already gives.
            var message = ex.Message;
            var pathAt = message.IndexOf(" Path:", StringComparison.Ordinal);
            return "is not valid here: " + (pathAt > 0 ? message.Substring(0, pathAt) : message);
        }

        private readonly struct Problem
        {
            public Problem(string path, string message)
            {
                Path = path;
                Message = message;
            }

            public string Path { get; }

            public string Message { get; }
        }
    }
}
