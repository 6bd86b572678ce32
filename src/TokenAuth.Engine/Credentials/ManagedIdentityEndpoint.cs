using System;
using System.Collections.Generic;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Providers;

namespace TokenAuth.Credentials
{
    /// <summary>The three kinds of managed identity endpoint a machine may have.</summary>
    public enum ManagedIdentityKind
    {
        /// <summary>App Service, Functions, Automation: IDENTITY_ENDPOINT with IDENTITY_HEADER (api-version 2019-08-01).</summary>
        AppService,

        /// <summary>An Azure Arc-enabled server: IDENTITY_ENDPOINT with IMDS_ENDPOINT, and a key-file challenge (api-version 2020-06-01).</summary>
        AzureArc,

        /// <summary>A VM's instance metadata service (api-version 2018-02-01), or where AZURE_POD_IDENTITY_AUTHORITY_HOST points.</summary>
        InstanceMetadata,
    }

    /// <summary>
    /// Where this machine's managed identity gives its tokens, from the variables the platform sets, else the instance
    /// metadata service's link-local address. The variables steer where a request goes, and IDENTITY_HEADER is a
    /// secret: an endpoint is taken only when it is this machine's own (a loopback address, where every platform puts
    /// it) or the metadata service's fixed address, so that no variable can send the header, an Arc key or the request
    /// for a token anywhere else. Made without sending anything.
    /// </summary>
    public sealed class ManagedIdentityEndpoint
    {
        /// <summary>The instance metadata service's token endpoint: used only when no variable names another.</summary>
        public const string InstanceMetadataAddress = "http://169.254.169.254/metadata/identity/oauth2/token";

        /// <summary>The variable that points the instance-metadata-style endpoint elsewhere (Azure.Identity's and MSAL's name).</summary>
        public const string InstanceMetadataOverride = "AZURE_POD_IDENTITY_AUTHORITY_HOST";

        private ManagedIdentityEndpoint(ManagedIdentityKind kind, Uri address, string? identityHeader, string source)
        {
            Kind = kind;
            Address = address;
            IdentityHeader = identityHeader;
            Source = source;
        }

        public ManagedIdentityKind Kind { get; }

        /// <summary>The token endpoint, without its query.</summary>
        public Uri Address { get; }

        /// <summary>What named it: a variable, or the built-in address.</summary>
        public string Source { get; }

        /// <summary>App Service's IDENTITY_HEADER: a secret, sent as X-IDENTITY-HEADER to <see cref="Address"/> alone.</summary>
        internal string? IdentityHeader { get; }

        /// <summary>The endpoint the environment names; a named refusal when it names one TokenAuth will not call.</summary>
        public static ManagedIdentityEndpoint Locate(string provider, Func<string, string?> environment)
        {
            var identityEndpoint = Value(environment, "IDENTITY_ENDPOINT");
            if (identityEndpoint != null)
            {
                var header = Value(environment, "IDENTITY_HEADER");
                if (header != null)
                {
                    if (!HeaderValues.IsVisible(header))
                    {
                        throw new ManagedIdentityException(provider, ManagedIdentityProblem.Unavailable, "IDENTITY_HEADER holds spaces, line breaks or other characters a header cannot carry.");
                    }

                    return new ManagedIdentityEndpoint(ManagedIdentityKind.AppService, Checked(provider, identityEndpoint, "IDENTITY_ENDPOINT"), header, "IDENTITY_ENDPOINT");
                }

                if (Value(environment, "IMDS_ENDPOINT") != null)
                {
                    return new ManagedIdentityEndpoint(ManagedIdentityKind.AzureArc, Checked(provider, identityEndpoint, "IDENTITY_ENDPOINT"), null, "IDENTITY_ENDPOINT");
                }

                throw new ManagedIdentityException(provider, ManagedIdentityProblem.Unavailable,
                    "IDENTITY_ENDPOINT is set, but neither IDENTITY_HEADER (App Service, Functions, Automation) nor IMDS_ENDPOINT (Azure Arc) is: which platform is this?");
            }

            if (Value(environment, InstanceMetadataOverride) is { } authority)
            {
                var address = Checked(provider, authority, InstanceMetadataOverride);
                return new ManagedIdentityEndpoint(ManagedIdentityKind.InstanceMetadata, new Uri(address.GetLeftPart(UriPartial.Authority) + "/metadata/identity/oauth2/token"),
                    null, InstanceMetadataOverride);
            }

            return new ManagedIdentityEndpoint(ManagedIdentityKind.InstanceMetadata, new Uri(InstanceMetadataAddress), null, "the instance metadata service's address");
        }

        /// <summary>The token request's address: the resource, the api-version and the user-assigned identity under each endpoint's names.</summary>
        public Uri RequestFor(string provider, string resource, ManagedIdentityId? identity)
        {
            var query = new List<KeyValuePair<string, string?>>
            {
                new KeyValuePair<string, string?>("api-version", Kind switch
                {
                    ManagedIdentityKind.AppService => "2019-08-01",
                    ManagedIdentityKind.AzureArc => "2020-06-01",
                    _ => "2018-02-01",
                }),
                new KeyValuePair<string, string?>("resource", resource),
            };
            if (identity != null)
            {
                if (Kind == ManagedIdentityKind.AzureArc)
                {
                    throw new ManagedIdentityException(provider, ManagedIdentityProblem.Unavailable,
                        "an Azure Arc-enabled server has a system-assigned identity only; leave out the user-assigned identity (-ClientId).");
                }

                var name = identity.Kind switch
                {
                    ManagedIdentityIdKind.ClientId => "client_id",
                    ManagedIdentityIdKind.ObjectId => Kind == ManagedIdentityKind.AppService ? "principal_id" : "object_id",
                    _ => Kind == ManagedIdentityKind.AppService ? "mi_res_id" : "msi_res_id",
                };
                query.Add(new KeyValuePair<string, string?>(name, identity.Value));
            }

            return UriQuery.Append(Address, query);
        }

        private static string? Value(Func<string, string?> environment, string name) => environment(name) is { } value && value.Trim().Length > 0 ? value.Trim() : null;

        /// <summary>
        /// This machine's own endpoint (http or https to a loopback address, where App Service, Functions, Automation and
        /// Arc put theirs) or the metadata service's fixed address; never a host a variable names.
        /// </summary>
        private static Uri Checked(string provider, string text, string variable)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var address) || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
                || address.UserInfo.Length > 0 || address.Fragment.Length > 0)
            {
                throw new ManagedIdentityException(provider, ManagedIdentityProblem.EndpointRefused, $"{variable} is not an http address; nothing was sent.");
            }

            if (!LoopbackBypassingProxy.IsLoopback(address) && !IsInstanceMetadataHost(address))
            {
                throw new ManagedIdentityException(provider, ManagedIdentityProblem.EndpointRefused,
                    $"{variable} names {address.Scheme}://{address.IdnHost}:{address.Port}, which is not this machine's own endpoint (a loopback address) nor the instance "
                    + "metadata service: TokenAuth sends the platform's identity secret and its token requests nowhere else; nothing was sent.");
            }

            return address;
        }

        private static bool IsInstanceMetadataHost(Uri address) => address.Scheme == Uri.UriSchemeHttp && address.IdnHost == "169.254.169.254" && address.Port == 80;

        public override string ToString() => $"{Kind} at {Address} ({Source})";
    }
}
