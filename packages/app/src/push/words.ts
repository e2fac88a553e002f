// The push setting's words in the app's languages.
import type { PushStatus } from './controller';

type Words = {
  title: string;
  note: string;
  turnOn: string;
  turnOff: string;
  status: Record<PushStatus, string>;
};

const en: Words = {
  title: 'Notifications when Hush is closed',
  note: 'Your server asks a push service to wake this device when a message arrives. The wake-up says only “New message”: never who wrote or what.',
  turnOn: 'Turn on',
  turnOff: 'Turn off',
  status: {
    off: 'Off',
    on: 'On',
    working: '…',
    denied:
      'Notifications are blocked for Hush: allow them in the settings of this device or browser.',
    unsupported: 'Not available here.',
    failed: 'Could not change it. Try again when online.',
  },
};

const ru: Words = {
  title: 'Уведомления, когда Hush закрыт',
  note: 'Ваш сервер просит службу push разбудить это устройство, когда приходит сообщение. Сигнал говорит только «Новое сообщение»: ни кто написал, ни что.',
  turnOn: 'Включить',
  turnOff: 'Выключить',
  status: {
    off: 'Выключены',
    on: 'Включены',
    working: '…',
    denied:
      'Уведомления для Hush запрещены: разрешите их в настройках этого устройства или браузера.',
    unsupported: 'Здесь недоступны.',
    failed: 'Не удалось изменить. Попробуйте снова, когда будет связь.',
  },
};

export function pushWords(language: string): Words {
  return language.startsWith('ru') ? ru : en;
}
