//! Service spec rules (create and update).

use serde_json::Value;

use super::super::ObjectKind;
use super::super::json::field;
use super::super::path::truncate;
use super::{Ctx, R, arr, bool_field, deny, obj, str_field};

impl Ctx<'_> {
    /// A service spec (create and update).
    pub(super) fn service_spec(&mut self, spec: &Value) -> R {
        obj(spec, "the service spec")?;
        self.require_labels(field(spec, "Labels"), "the service's Labels")?;
        self.service_networks(field(spec, "Networks"), "Networks")?;
        let Some(tt) = field(spec, "TaskTemplate") else {
            return Ok(());
        };
        obj(tt, "TaskTemplate")?;
        for key in ["PluginSpec", "NetworkAttachmentSpec"] {
            if field(tt, key).is_some() {
                return Err(deny(
                    "service-runtime",
                    format!(
                        "TaskTemplate.{key} is not allowed (plugins and attachments run outside containers)"
                    ),
                ));
            }
        }
        if let Some(rt) = str_field(tt, "Runtime", "TaskTemplate")?
            && !rt.is_empty()
            && !rt.eq_ignore_ascii_case("container")
        {
            return Err(deny(
                "service-runtime",
                format!("TaskTemplate.Runtime {:?} is not allowed", truncate(rt)),
            ));
        }
        self.service_networks(field(tt, "Networks"), "TaskTemplate.Networks")?;
        if let Some(ld) = field(tt, "LogDriver") {
            self.log_driver(
                str_field(ld, "Name", "TaskTemplate.LogDriver")?,
                "TaskTemplate.LogDriver.Name",
            )?;
        }
        let Some(cs) = field(tt, "ContainerSpec") else {
            return Ok(());
        };
        let w = "TaskTemplate.ContainerSpec";
        obj(cs, w)?;
        match str_field(cs, "Image", w)? {
            Some(i) => self.image(i, "the service image")?,
            None => {
                return Err(deny("image-not-allowed", format!("{w} has no Image")));
            }
        }
        self.mounts(field(cs, "Mounts"), &format!("{w}.Mounts"))?;
        if let Some(p) = field(cs, "Privileges") {
            let pw = format!("{w}.Privileges");
            if let Some(se) = field(p, "SELinuxContext")
                && bool_field(se, "Disable", &pw)? == Some(true)
            {
                return Err(deny(
                    "security-opt-unconfined",
                    format!("{pw}.SELinuxContext.Disable is true"),
                ));
            }
            if let Some(sc) = field(p, "Seccomp") {
                let m = str_field(sc, "Mode", &pw)?.unwrap_or("default");
                if !m.eq_ignore_ascii_case("default") {
                    return Err(deny(
                        "security-opt-unconfined",
                        format!("{pw}.Seccomp.Mode is {m:?}"),
                    ));
                }
            }
            if let Some(aa) = field(p, "AppArmor") {
                let m = str_field(aa, "Mode", &pw)?.unwrap_or("default");
                if !m.eq_ignore_ascii_case("default") {
                    return Err(deny(
                        "security-opt-unconfined",
                        format!("{pw}.AppArmor.Mode is {m:?}"),
                    ));
                }
            }
        }
        self.caps(field(cs, "CapabilityAdd"), &format!("{w}.CapabilityAdd"))?;
        self.caps(field(cs, "Capabilities"), &format!("{w}.Capabilities"))?;
        self.sysctls(field(cs, "Sysctls"), &format!("{w}.Sysctls"))?;
        for (key, kind_, id_key) in [
            ("Secrets", ObjectKind::Secret, "SecretID"),
            ("Configs", ObjectKind::Config, "ConfigID"),
        ] {
            if let Some(list) = field(cs, key) {
                for (i, r) in arr(list, &format!("{w}.{key}"))?.iter().enumerate() {
                    let rw = format!("{w}.{key}[{i}]");
                    match str_field(r, id_key, &rw)? {
                        Some(id) if !id.is_empty() => self.refer(kind_, id),
                        _ => {
                            return Err(deny("unlabelled-object", format!("{rw} has no {id_key}")));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn service_networks(&mut self, list: Option<&Value>, what: &str) -> R {
        let Some(list) = list else { return Ok(()) };
        for (i, n) in arr(list, what)?.iter().enumerate() {
            let w = format!("{what}[{i}]");
            let t = str_field(n, "Target", &w)?.unwrap_or("");
            if t.eq_ignore_ascii_case("host") {
                return Err(deny(
                    "host-network",
                    format!("{w}.Target is the host network"),
                ));
            }
            if !t.is_empty() {
                self.refer(ObjectKind::Network, t);
            }
        }
        Ok(())
    }
}
