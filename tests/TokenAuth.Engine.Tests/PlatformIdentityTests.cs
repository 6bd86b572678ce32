using System.Runtime.InteropServices;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Providers;
using Xunit;

namespace TokenAuth.Tests;

/// <summary>
/// Which managed identity endpoint a machine's variables name, found without sending anything; the Azure Arc key file's
/// checks; and the per-call token parameters' checks, canonical form and place on the token call.
/// </summary>
public sealed class PlatformIdentityTests : IDisposable
{
    private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "tokenauth-arc-test-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static KeyValuePair<string, string> Pair(string name, string value) => new(name, value);

    private static ManagedIdentityEndpoint Locate(params (string Name, string Value)[] variables) =>
        ManagedIdentityEndpoint.Locate("test", name => variables.FirstOrDefault(variable => variable.Name == name).Value);

    [Fact]
    public void Without_any_variable_the_instance_metadata_services_fixed_address_would_be_used()
    {
        var endpoint = Locate();

        Assert.Equal(ManagedIdentityKind.InstanceMetadata, endpoint.Kind);
        Assert.Equal("http://169.254.169.254/metadata/identity/oauth2/token", endpoint.Address.AbsoluteUri);
        Assert.Equal("http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fgraph.microsoft.com",
            endpoint.RequestFor("test", "https://graph.microsoft.com", null).AbsoluteUri);
    }

    [Theory]
    [InlineData("IDENTITY_ENDPOINT=http://127.0.0.1:41741/MSI/token/;IDENTITY_HEADER=h", ManagedIdentityKind.AppService, "http://127.0.0.1:41741/MSI/token/")]
    [InlineData("IDENTITY_ENDPOINT=http://localhost:40342/metadata/identity/oauth2/token;IMDS_ENDPOINT=http://localhost:40342", ManagedIdentityKind.AzureArc,
        "http://localhost:40342/metadata/identity/oauth2/token")]
    [InlineData("AZURE_POD_IDENTITY_AUTHORITY_HOST=http://[::1]:5000", ManagedIdentityKind.InstanceMetadata, "http://[::1]:5000/metadata/identity/oauth2/token")]
    [InlineData("AZURE_POD_IDENTITY_AUTHORITY_HOST=http://169.254.169.254", ManagedIdentityKind.InstanceMetadata, "http://169.254.169.254/metadata/identity/oauth2/token")]
    public void The_platforms_variables_name_the_endpoint(string variables, ManagedIdentityKind kind, string address)
    {
        var endpoint = Locate(variables.Split(';').Select(pair => (pair.Substring(0, pair.IndexOf('=')), pair.Substring(pair.IndexOf('=') + 1))).ToArray());

        Assert.Equal(kind, endpoint.Kind);
        Assert.Equal(address, endpoint.Address.AbsoluteUri);
    }

    [Theory]
    [InlineData("IDENTITY_ENDPOINT", "http://10.0.0.4:8081/msi/token")]
    [InlineData("IDENTITY_ENDPOINT", "https://identity.example.com/token")]
    [InlineData("IDENTITY_ENDPOINT", "http://169.254.169.254.example.com/token")]
    [InlineData("IDENTITY_ENDPOINT", "http://user:pass@127.0.0.1:41741/")]
    [InlineData("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://169.254.169.254:8080")]
    [InlineData("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://192.168.1.10")]
    [InlineData("AZURE_POD_IDENTITY_AUTHORITY_HOST", "file:///etc/passwd")]
    public void A_variable_naming_another_host_is_refused_by_name(string variable, string value)
    {
        var ex = Assert.Throws<ManagedIdentityException>(() => Locate((variable, value), ("IDENTITY_HEADER", "secret-header"), ("IMDS_ENDPOINT", "http://localhost:40342")));

        Assert.Equal("ManagedIdentityEndpointRefused", ex.ErrorId);
        Assert.Contains(variable, ex.Message);
        Assert.DoesNotContain("secret-header", ex.Message);
    }

    [Theory]
    [InlineData("0d1c2b3a-2222-4e5f-8a9b-00000000c002", "client_id", "client_id")]
    [InlineData("ObjectId:0d1c2b3a-2222-4e5f-8a9b-00000000a002", "principal_id", "object_id")]
    [InlineData("/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u", "mi_res_id", "msi_res_id")]
    public void A_user_assigned_identity_goes_by_each_endpoints_own_name(string id, string appServiceName, string metadataName)
    {
        var identity = ManagedIdentityId.Parse(id);

        Assert.Contains(appServiceName + "=", Locate(("IDENTITY_ENDPOINT", "http://127.0.0.1:1/t"), ("IDENTITY_HEADER", "h")).RequestFor("p", "r", identity).Query);
        Assert.Contains(metadataName + "=", Locate().RequestFor("p", "r", identity).Query);
        Assert.Throws<ManagedIdentityException>(() => Locate(("IDENTITY_ENDPOINT", "http://127.0.0.1:1/t"), ("IMDS_ENDPOINT", "http://127.0.0.1:1")).RequestFor("p", "r", identity));
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("ObjectId:x")]
    [InlineData("/subscriptions/a?b")]
    public void A_user_assigned_identity_is_a_guid_an_object_id_or_a_resource_id(string id) =>
        Assert.Throws<ArgumentException>(() => ManagedIdentityId.Parse(id));

    [Fact]
    public void The_managed_identity_is_an_assertion_source_by_name()
    {
        Assert.Equal("ManagedIdentity", ClientAssertionSource.Parse("ManagedIdentity").Description);
        Assert.Equal("ManagedIdentity:0d1c2b3a-2222-4e5f-8a9b-00000000c002", ClientAssertionSource.Parse("managedidentity:0d1c2b3a-2222-4e5f-8a9b-00000000c002").Description);
        Assert.Throws<ArgumentException>(() => ClientAssertionSource.Parse("ManagedIdentity:someone"));
    }

    private string KeyFile(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void An_arc_key_file_in_the_allowed_folder_is_read()
    {
        var path = KeyFile("a.key", "0123456789abcdef\n");

        Assert.Equal("0123456789abcdef", ArcKeyFile.Read("p", ArcKeyFile.PathIn("p", "Basic realm=" + path), _folder));
    }

    [Fact]
    public void An_arc_key_file_outside_the_allowed_folder_or_not_a_small_key_file_is_refused_unread()
    {
        var inside = KeyFile("ok.key", "k");
        var nested = Directory.CreateDirectory(Path.Combine(_folder, "nested")).FullName;
        File.WriteAllText(Path.Combine(nested, "n.key"), "k");
        var cases = new List<(string Path, string Why)>
        {
            (Path.Combine(Path.GetTempPath(), "elsewhere.key"), "own folder"),
            (Path.Combine(_folder, "..", Path.GetFileName(_folder) + "-x", "a.key"), "own folder"),
            (Path.Combine(_folder, "nested", "..", "..", "a.key"), "own folder"),
            (Path.Combine(nested, "n.key"), "own folder"),
            (KeyFile("secret.txt", "k"), ".key"),
            (KeyFile("big.key", new string('k', ArcKeyFile.MaxBytes + 1)), "bytes"),
            (KeyFile("empty.key", ""), "bytes"),
            (Path.Combine(_folder, "missing.key"), "does not exist"),
            ("relative.key", "full path"),
        };
#if NET6_0_OR_GREATER
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            var link = Path.Combine(_folder, "link.key");
            File.CreateSymbolicLink(link, "/etc/hostname");
            cases.Add((link, "link"));
        }
#endif

        foreach (var (path, why) in cases)
        {
            var ex = Assert.Throws<ManagedIdentityException>(() => ArcKeyFile.Read("p", path, _folder));
            Assert.Equal("ArcKeyFileRefused", ex.ErrorId);
            Assert.Contains(why, ex.Message);
        }

        Assert.Equal("k", ArcKeyFile.Read("p", inside, _folder));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer realm=/x.key")]
    [InlineData("Basic realm=")]
    public void An_arc_401_without_its_challenge_names_no_file(string? challenge) =>
        Assert.Equal("ManagedIdentityUnavailable", Assert.Throws<ManagedIdentityException>(() => ArcKeyFile.PathIn("p", challenge)).ErrorId);

    [Fact]
    public void The_default_arc_folder_is_the_agents_own_and_not_from_a_variable() =>
        Assert.Equal(RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "AzureConnectedMachineAgent", "Tokens")
            : "/var/opt/azcmagent/tokens", ArcKeyFile.DefaultFolder);

    [Fact]
    public void Token_parameters_are_canonical_whatever_their_order()
    {
        var one = new TokenParameters("contoso", new[] { "https://b", "https://a" }, null, new[] { Pair("x", "1"), Pair("y", "2") });
        var two = new TokenParameters("contoso", new[] { "https://a", "https://b" }, null, new[] { Pair("y", "2"), Pair("x", "1") });

        Assert.Equal(one.Canonical, two.Canonical);
        Assert.NotEqual(one.Canonical, new TokenParameters("fabrikam", new[] { "https://a", "https://b" }, null, two.Extra).Canonical);
        Assert.NotEqual(new TokenParameters(null, null, null, new[] { Pair("a", "bc") }).Canonical,
            new TokenParameters(null, null, null, new[] { Pair("ab", "c") }).Canonical);
        Assert.Equal("", TokenParameters.None.Canonical);
    }

    [Theory]
    [InlineData("evil.com/x")]
    [InlineData("a@b")]
    [InlineData("x?y")]
    [InlineData("x#y")]
    [InlineData("..")]
    [InlineData("a:443")]
    [InlineData("a%2Fb")]
    [InlineData("a\\b")]
    public void A_tenant_that_could_move_the_token_call_is_refused_by_name(string tenant) =>
        Assert.Equal("TokenParameterChangesOrigin", Assert.Throws<TokenParameterException>(() => new TokenParameters(tenant, null, null, null)).ErrorId);

    [Theory]
    [InlineData("client_secret")]
    [InlineData("CLIENT_ASSERTION")]
    [InlineData("grant_type")]
    [InlineData("refresh_token")]
    [InlineData("resource")]
    [InlineData("my_secret")]
    [InlineData("db_password")]
    public void An_extra_field_never_takes_a_credentials_or_the_grants_place(string name) =>
        Assert.Equal("TokenParameterRefused", Assert.Throws<TokenParameterException>(() => new TokenParameters(null, null, null, new[] { Pair(name, "v") })).ErrorId);

    [Fact]
    public void The_tenant_goes_into_the_path_escaped_and_on_the_definitions_origin_only()
    {
        var definition = new ProviderDefinition
        {
            Name = "T",
            Environments = new Dictionary<string, string> { ["Live"] = "https://graph.example.com" },
            Credential = new CredentialSpec { Fields = new[] { CredentialField.ClientId } },
            Token = new TokenEndpointSpec { Path = "https://login.example.com/{TenantId}/oauth2/v2.0/token?aud={Audience}" },
        };
        var target = ProviderTarget.Resolve(definition);

        Assert.Equal("https://login.example.com/contoso.example/oauth2/v2.0/token?aud=a%2Fb%40c",
            CallEndpoints.For(target, definition.Token.Path, new TokenParameters("contoso.example", null, "a/b@c", null)).AbsoluteUri);
        Assert.Equal("TokenParameterRefused", Assert.Throws<TokenParameterException>(() => CallEndpoints.For(target, definition.Token.Path, TokenParameters.None)).ErrorId);
    }

    [Fact]
    public void Several_resources_are_refused_before_sending_where_the_definition_has_room_for_one()
    {
        var definition = new ProviderDefinition
        {
            Name = "T",
            Environments = new Dictionary<string, string> { ["Live"] = "https://api.example.com" },
            Credential = new CredentialSpec { Fields = new[] { CredentialField.ClientId } },
            Token = new TokenEndpointSpec { Path = "/token", Fields = new Dictionary<string, string> { ["target"] = "res:{Resource}" } },
        };
        var target = ProviderTarget.Resolve(definition);

        Assert.Equal("TokenParameterRefused", Assert.Throws<TokenParameterException>(() =>
            TokenParameterFields.Check(target, new TokenParameters(null, new[] { "https://a", "https://b" }, null, null))).ErrorId);
        Assert.Single(TokenParameterFields.Check(target, new TokenParameters(null, new[] { "https://a" }, null, null)).Resources);
    }

    [Fact]
    public void A_value_that_passes_its_own_check_is_still_refused_when_the_address_it_makes_has_another_origin()
    {
        // Not a definition the loader would take (a placeholder in the host): the check after substitution stands on its own.
        var definition = new ProviderDefinition
        {
            Name = "T",
            Environments = new Dictionary<string, string> { ["Live"] = "https://api.example.com" },
            Credential = new CredentialSpec { Fields = new[] { CredentialField.ClientId } },
            Token = new TokenEndpointSpec { Path = "https://{TenantId}.login.example.com/token" },
        };

        var ex = Assert.Throws<TokenParameterException>(() => CallEndpoints.For(ProviderTarget.Resolve(definition), definition.Token.Path, new TokenParameters("contoso", null, null, null)));

        Assert.Equal("TokenParameterChangesOrigin", ex.ErrorId);
        Assert.Throws<ProviderConfigurationException>(() => ProviderDefinitionLoader.Parse(
            """{ "name": "T", "credential": { "fields": ["ClientId"] }, "token": { "path": "https://{TenantId}.login.example.com/token" } }"""));
    }
}
