using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using TokenAuth.Emulator;

// dotnet run --project src/TokenAuth.Emulator [-- --port 5599] [--settable-clock] [--corebanking-token-type MAC]
//     [--as-documented] [--token-lifetime PROVIDER=SECONDS]... [--chaos SEED]
//     [--https PORT=server.pfx]... [--client-certificate PROVIDER=THUMBPRINT]... [--assertion-certificate CLIENT_ID=cert.pem]...
//     [--federated-credential CLIENT_ID=SUBJECT]...
//     | --write-test-certificates FOLDER
// All but --port are for tests that drive the emulator from another process (the Pester suite; the .NET Framework
// engine tests on Mono): TLS listeners with certificates from a throwaway test CA, and providers that demand a client certificate.
var options = new EmulatorOptions();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port" when i + 1 < args.Length:
            options.Port = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--settable-clock":
            options.Clock = new SettableClock();
            break;
        case "--chaos" when i + 1 < args.Length:
            // SEED: faults at fixed rates on every protected resource, for the soak benchmark.
            options.ChaosSeed = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--as-documented":
            options.AsDocumented = true;
            break;
        case "--token-lifetime" when i + 1 < args.Length:
            // PROVIDER=SECONDS: short-lived tokens, for tests that renew past expiry in real time.
            var (lifetimeProvider, seconds) = Split(args[++i]);
            options.TokenLifetimes[lifetimeProvider] = TimeSpan.FromSeconds(int.Parse(seconds, CultureInfo.InvariantCulture));
            break;
        case "--corebanking-token-type" when i + 1 < args.Length:
            options.CoreBankingTokenType = args[++i];
            break;
        case "--https" when i + 1 < args.Length:
            // PORT=server.pfx, a PFX written by --write-test-certificates (its password is TestCertificates.PfxPassword).
            var (port, pfx) = Split(args[++i]);
            options.MoreHttpsListeners.Add((int.Parse(port, CultureInfo.InvariantCulture), X509CertificateLoader.LoadPkcs12FromFile(pfx, TestCertificates.PfxPassword)));
            break;
        case "--client-certificate" when i + 1 < args.Length:
            var (provider, thumbprint) = Split(args[++i]);
            options.ClientCertificates.TryAdd(provider, new HashSet<string>(StringComparer.OrdinalIgnoreCase));
            options.ClientCertificates[provider].Add(thumbprint);
            break;
        case "--assertion-certificate" when i + 1 < args.Length:
            // CLIENT_ID=certificate.pem: the standard OAuth2 server takes assertions from that client signed with its key.
            var (client, pem) = Split(args[++i]);
            options.AssertionCertificates.TryAdd(client, new List<X509Certificate2>());
            options.AssertionCertificates[client].Add(X509Certificate2.CreateFromPem(File.ReadAllText(pem)));
            break;
        case "--federated-credential" when i + 1 < args.Length:
            // CLIENT_ID=SUBJECT: the standard OAuth2 server takes the emulated pipelines' OIDC tokens with that subject from that client.
            var (federatedClient, subject) = Split(args[++i]);
            options.FederatedCredentials.TryAdd(federatedClient, new HashSet<string>(StringComparer.Ordinal));
            options.FederatedCredentials[federatedClient].Add(subject);
            break;
        case "--arc-key-folder" when i + 1 < args.Length:
            // FOLDER: where the emulated Azure Arc agent writes its challenge key files.
            options.ArcKeyFolder = args[++i];
            break;
        case "--write-test-certificates" when i + 1 < args.Length:
            using (var certificates = TestCertificates.Create())
            {
                certificates.WriteTo(args[++i]);
                Console.WriteLine($"Test certificates written to {args[i]}; client thumbprint {certificates.Client.Thumbprint}.");
            }

            return;
    }
}

await using var emulator = await ProviderEmulator.StartAsync(options);
Console.WriteLine($"TokenAuth provider emulator listening on {emulator.RootUri} (loopback only). Ctrl+C stops it.");
Console.WriteLine();
Console.WriteLine("Base URIs and demo credentials (documented in README.md; they work only here):");
foreach (var provider in ProviderEmulator.Providers)
{
    var credential = DemoCredentials.All[provider];
    var fields = new[]
    {
        ("ClientId", credential.ClientId), ("ClientSecret", credential.ClientSecret), ("ClientCredential", credential.ClientCredential),
        ("ApiKey", credential.ApiKey), ("ApiSecret", credential.ApiSecret),
    }.Where(field => field.Item2 != null).Select(field => $"{field.Item1}={field.Item2}");
    Console.WriteLine($"  {provider,-12} {emulator.BaseUriOf(provider)}   {string.Join(" ", fields)}");
}

Console.WriteLine();
Console.WriteLine($"Pipeline OIDC tokens: GET {emulator.RootUri}github-actions/idtoken (bearer {options.GitHubActionsRequestToken}), "
    + $"POST {emulator.RootUri}azure-devops/oidctoken (bearer {options.AzureDevOpsAccessToken}).");
Console.WriteLine($"Control: GET {emulator.RootUri}_emulator/counters, POST {emulator.RootUri}_emulator/faults, POST {emulator.RootUri}_emulator/reset");

// The host turns Ctrl+C (SIGINT), SIGTERM and SIGQUIT into a stop request and keeps the signal from ending the process,
// so the stop request is what to wait for; then disposing stops the host, and Main returns 0.
await emulator.WaitForStopRequestAsync().ConfigureAwait(false);

static (string Name, string Value) Split(string argument)
{
    var equals = argument.IndexOf('=');
    return equals > 0 ? (argument[..equals], argument[(equals + 1)..]) : throw new ArgumentException($"Expected NAME=VALUE, got '{argument}'.");
}
