namespace TokenAuth.Emulator;

/// <summary>The managed identity endpoints' settings (ProviderEmulator.ManagedIdentity.cs).</summary>
public sealed partial class EmulatorOptions
{
    /// <summary>
    /// Where the emulated Azure Arc agent writes its challenge key files (--arc-key-folder); null: a folder of its own
    /// under the system's temporary folder.
    /// </summary>
    public string? ArcKeyFolder { get; set; }
}

/// <summary>The emulated machine's managed identities: one system-assigned, one user-assigned.</summary>
public static class EmulatedManagedIdentity
{
    /// <summary>App Service's IDENTITY_HEADER: a secret the endpoint checks, which must never show up anywhere.</summary>
    public const string IdentityHeader = "emulator-identity-header-7c41d09e";

    /// <summary>The system-assigned identity's object (principal) id: the subject of its tokens.</summary>
    public const string SystemObjectId = "5e6f7a8b-1111-4c2d-9e0f-00000000a001";

    /// <summary>The user-assigned identity's client id, object id and resource id.</summary>
    public const string UserClientId = "0d1c2b3a-2222-4e5f-8a9b-00000000c002";

    public const string UserObjectId = "0d1c2b3a-2222-4e5f-8a9b-00000000a002";

    public const string UserResourceId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/tokenauth/providers/Microsoft.ManagedIdentity/userAssignedIdentities/emulator-uami";
}
