//! The parts of a service's container that point elsewhere: secrets and configs
//! mounted as files, networks, DNS settings and privileges.

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// The file a secret or config appears as inside the task's containers. `UID` and
/// `GID` are strings and `Mode` a decimal number (0o444 = 292) on the wire (edge case
/// 180).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileTarget {
    /// File name (for secrets relative to `/run/secrets/`; for configs an absolute
    /// path or relative to `/`). `None`: the secret's or config's name.
    pub name: Option<String>,
    /// Owner uid (default `"0"`).
    pub uid: String,
    /// Owner gid (default `"0"`).
    pub gid: String,
    /// Permission bits (default `0o444`).
    pub mode: u32,
}

impl Default for FileTarget {
    fn default() -> FileTarget {
        FileTarget {
            name: None,
            uid: "0".into(),
            gid: "0".into(),
            mode: 0o444,
        }
    }
}

impl FileTarget {
    fn to_json(&self, default_name: &str) -> Value {
        json!({
            "Name": self.name.as_deref().unwrap_or(default_name),
            "UID": self.uid,
            "GID": self.gid,
            "Mode": self.mode,
        })
    }
}

fn reference_json(
    what: &str,
    id_key: &str,
    name_key: &str,
    id: &str,
    name: &str,
    file: &FileTarget,
) -> Result<Value> {
    if id.is_empty() || name.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{what} reference: both the id and the name are needed (inspect the {what} by name to get its id)"
        )));
    }
    let mut m = Map::new();
    m.insert(id_key.into(), Value::String(id.to_owned()));
    m.insert(name_key.into(), Value::String(name.to_owned()));
    m.insert("File".into(), file.to_json(name));
    Ok(Value::Object(m))
}

/// A secret mounted into a service's containers (docker-py's `SecretReference`),
/// by default as `/run/secrets/<name>`, owned by root, mode 0444.
///
/// ```
/// use berth_core::api::services::SecretReference;
/// let r = SecretReference::new("id1", "db-pass");
/// assert_eq!(r.to_json()?, serde_json::json!({
///     "SecretID": "id1", "SecretName": "db-pass",
///     "File": {"Name": "db-pass", "UID": "0", "GID": "0", "Mode": 292}
/// }));
/// # Ok::<(), berth_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretReference {
    /// The secret's id.
    pub secret_id: String,
    /// The secret's name.
    pub secret_name: String,
    /// The file it appears as.
    pub file: FileTarget,
}

impl SecretReference {
    /// Secret `id`/`name` at `/run/secrets/<name>`.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> SecretReference {
        SecretReference {
            secret_id: id.into(),
            secret_name: name.into(),
            file: FileTarget::default(),
        }
    }

    /// The file name (docker-py's `filename`).
    pub fn filename(mut self, name: impl Into<String>) -> SecretReference {
        self.file.name = Some(name.into());
        self
    }

    /// Owner and permission bits.
    pub fn owner(
        mut self,
        uid: impl Into<String>,
        gid: impl Into<String>,
        mode: u32,
    ) -> SecretReference {
        self.file.uid = uid.into();
        self.file.gid = gid.into();
        self.file.mode = mode;
        self
    }

    /// The JSON of one `ContainerSpec.Secrets` entry.
    pub fn to_json(&self) -> Result<Value> {
        reference_json(
            "secret",
            "SecretID",
            "SecretName",
            &self.secret_id,
            &self.secret_name,
            &self.file,
        )
    }
}

/// A config mounted into a service's containers (docker-py's `ConfigReference`), by
/// default as `/<name>`, owned by root, mode 0444 (API 1.30).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfigReference {
    /// The config's id.
    pub config_id: String,
    /// The config's name.
    pub config_name: String,
    /// The file it appears as.
    pub file: FileTarget,
}

impl ConfigReference {
    /// Config `id`/`name` at `/<name>`.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> ConfigReference {
        ConfigReference {
            config_id: id.into(),
            config_name: name.into(),
            file: FileTarget::default(),
        }
    }

    /// The file path (docker-py's `filename`).
    pub fn filename(mut self, name: impl Into<String>) -> ConfigReference {
        self.file.name = Some(name.into());
        self
    }

    /// Owner and permission bits.
    pub fn owner(
        mut self,
        uid: impl Into<String>,
        gid: impl Into<String>,
        mode: u32,
    ) -> ConfigReference {
        self.file.uid = uid.into();
        self.file.gid = gid.into();
        self.file.mode = mode;
        self
    }

    /// The JSON of one `ContainerSpec.Configs` entry.
    pub fn to_json(&self) -> Result<Value> {
        reference_json(
            "config",
            "ConfigID",
            "ConfigName",
            &self.config_id,
            &self.config_name,
            &self.file,
        )
    }
}

/// A network a service's tasks join (docker-py's `NetworkAttachmentConfig`, or a
/// plain name).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkAttachment {
    /// Network name or id.
    pub target: String,
    /// Extra DNS names of the service on this network.
    pub aliases: Vec<String>,
    /// Driver options of the attachment.
    pub driver_opts: Vec<(String, String)>,
}

impl From<&str> for NetworkAttachment {
    fn from(target: &str) -> NetworkAttachment {
        NetworkAttachment {
            target: target.to_owned(),
            ..NetworkAttachment::default()
        }
    }
}

impl NetworkAttachment {
    /// `{Target, Aliases?, DriverOpts?}`.
    pub fn to_json(&self) -> Result<Value> {
        if self.target.is_empty() {
            return Err(Error::InvalidArgument(
                "service network: the target network name is empty".into(),
            ));
        }
        let mut m = Map::new();
        m.insert("Target".into(), Value::String(self.target.clone()));
        if !self.aliases.is_empty() {
            m.insert("Aliases".into(), json!(self.aliases));
        }
        if !self.driver_opts.is_empty() {
            let opts: Map<String, Value> = self
                .driver_opts
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            m.insert("DriverOpts".into(), Value::Object(opts));
        }
        Ok(Value::Object(m))
    }
}

/// DNS settings of a service's containers (docker-py's `DNSConfig`; all three lists
/// are always sent).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DnsConfig {
    /// Name servers.
    pub nameservers: Vec<String>,
    /// Search domains.
    pub search: Vec<String>,
    /// resolv.conf options (`ndots:2`).
    pub options: Vec<String>,
}

impl DnsConfig {
    /// `{Nameservers, Search, Options}`.
    pub fn to_json(&self) -> Value {
        json!({"Nameservers": self.nameservers, "Search": self.search, "Options": self.options})
    }
}

/// Security settings of a service's containers (docker-py's `Privileges`): a
/// Windows credential spec (file or registry value, not both) and an SELinux
/// context.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Privileges {
    /// `CredentialSpec.File`.
    pub credentialspec_file: Option<String>,
    /// `CredentialSpec.Registry`.
    pub credentialspec_registry: Option<String>,
    /// `SELinuxContext.Disable`.
    pub selinux_disable: Option<bool>,
    /// `SELinuxContext.User`.
    pub selinux_user: Option<String>,
    /// `SELinuxContext.Role`.
    pub selinux_role: Option<String>,
    /// `SELinuxContext.Type`.
    pub selinux_type: Option<String>,
    /// `SELinuxContext.Level`.
    pub selinux_level: Option<String>,
}

impl Privileges {
    /// The `Privileges` JSON.
    pub fn to_json(&self) -> Result<Value> {
        let mut m = Map::new();
        match (&self.credentialspec_file, &self.credentialspec_registry) {
            (Some(_), Some(_)) => {
                return Err(Error::InvalidArgument(
                    "privileges: credentialspec_file and credentialspec_registry are mutually exclusive".into(),
                ));
            }
            (Some(f), None) => {
                m.insert("CredentialSpec".into(), json!({"File": f}));
            }
            (None, Some(r)) => {
                m.insert("CredentialSpec".into(), json!({"Registry": r}));
            }
            (None, None) => {}
        }
        let mut se = Map::new();
        if let Some(d) = self.selinux_disable {
            se.insert("Disable".into(), Value::Bool(d));
        }
        for (k, v) in [
            ("User", &self.selinux_user),
            ("Role", &self.selinux_role),
            ("Type", &self.selinux_type),
            ("Level", &self.selinux_level),
        ] {
            if let Some(v) = v {
                se.insert(k.into(), Value::String(v.clone()));
            }
        }
        if !se.is_empty() {
            m.insert("SELinuxContext".into(), Value::Object(se));
        }
        Ok(Value::Object(m))
    }
}
