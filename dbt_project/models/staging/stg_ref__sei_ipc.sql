select distinct
    sei_code,
    sei_name,
    upper(trim(ipc_prefix)) as ipc_prefix
from {{ source('raw', 'sei_ipc') }}
where nullif(trim(ipc_prefix), '') is not null
