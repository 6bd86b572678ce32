using Microsoft.AspNetCore.Http;

namespace TokenAuth.Emulator;

/// <summary>
/// The emulator "as the documents show and no more" (<see cref="EmulatorOptions.AsDocumented"/>): every endpoint that
/// shared/PROVIDERS.md marks as our reading of a provider's document (a gap) is not there, as a real service without it
/// would answer. APIMW documents only its token call; Akiba documents no token path, so its token is served at one
/// TokenAuth does not guess, which a test then gives through a definition of its own.
/// </summary>
public sealed partial class ProviderEmulator
{
    /// <summary>Where Akiba's token endpoint is in the as-documented mode: not the path TokenAuth's built-in definition assumes.</summary>
    public const string AsDocumentedAkibaTokenPath = "/authorization/access-token";

    /// <summary>The handler of an endpoint the provider's document does not show: itself, or in the as-documented mode what a server without it answers.</summary>
    private Func<HttpContext, Task> Gap(string provider, string endpoint, Func<HttpContext, Task> handler) =>
        !_options.AsDocumented ? handler : (provider, endpoint) switch
        {
            // Three shapes of "no such route", as gateways send them: an HTML page, the provider's own error shape, nothing at all.
            (_, "refresh") => context => Text(context, 404, "text/html", "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"),
            (_, "revoke") => context => WriteError(context, provider, false, 404, "NOT_FOUND", "Route not found"),
            _ => context => Text(context, 404, "text/plain", ""),
        };

    private static Task Text(HttpContext context, int status, string contentType, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(body, context.RequestAborted);
    }
}
